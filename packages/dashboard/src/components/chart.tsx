import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** A CSS custom property, e.g. `--chart-1`, so the chart follows the color scheme. */
  colorVar: string;
  values: (number | null)[];
  /** Draw as bars instead of a line. */
  bars?: boolean;
}

interface Props {
  /** Bucket start times in milliseconds. */
  times: number[];
  series: ChartSeries[];
  height?: number;
  label: string;
}

function cssVar(el: Element, name: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || "#888";
}

function buildOptions(el: HTMLElement, props: Props, width: number): uPlot.Options {
  const grid = { stroke: cssVar(el, "--border"), width: 1 };
  const axis = { stroke: cssVar(el, "--muted"), grid, ticks: grid };
  const anyBars = props.series.some((s) => s.bars);
  const t = props.times;
  const half = (t.length > 1 ? ((t[1] ?? 0) - (t[0] ?? 0)) / 1000 : 3600) / 2;
  return {
    width,
    height: props.height ?? 200,
    cursor: { drag: { x: false, y: false } },
    scales: {
      // Bars need half a bucket of room on each side, or the first and last are cut in half.
      x: { time: true, ...(anyBars ? { range: (_u, min, max) => [min - half, max + half] } : {}) },
      y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
    },
    axes: [axis, { ...axis, size: 44 }],
    series: [
      {},
      ...props.series.map((s) => {
        const color = cssVar(el, s.colorVar);
        return {
          label: s.label,
          stroke: color,
          width: 2,
          fill: `${color}22`,
          points: { show: false },
          ...(s.bars ? { paths: uPlot.paths.bars?.({ size: [0.7, 40] }) } : {}),
        };
      }),
    ],
  };
}

function toData(props: Props): uPlot.AlignedData {
  return [props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)];
}

/**
 * A uPlot time series. The plot is created once per shape and updated with `setData` on refresh,
 * so live updates do not flicker; it is rebuilt when the color scheme changes.
 */
export function TimeSeriesChart(props: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => `${s.label}:${s.colorVar}:${s.bars ? 1 : 0}`).join("|");

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const create = () => {
      plot.current?.destroy();
      plot.current = new uPlot(buildOptions(el, props, el.clientWidth || 600), toData(props), el);
    };
    create();
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (plot.current && w > 0 && w !== plot.current.width) {
        plot.current.setSize({ width: w, height: props.height ?? 200 });
      }
    });
    ro.observe(el);
    const mq = window.matchMedia("(prefers-color-scheme: dark)");
    mq.addEventListener("change", create);
    return () => {
      ro.disconnect();
      mq.removeEventListener("change", create);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, props.height]);

  useEffect(() => {
    plot.current?.setData(toData(props));
  }, [props]);

  return <div class="chart" ref={ref} role="img" aria-label={props.label} />;
}
