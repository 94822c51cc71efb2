import { sparkPath } from "../lib/sparkline";

export function Sparkline({ values, errors, label }: { values: number[]; errors?: number[]; label: string }) {
  const w = 120;
  const h = 28;
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <path d={sparkPath(values, w, h)} fill="none" stroke="var(--chart-1)" stroke-width="1.5" />
      {errors?.some((e) => e > 0) && (
        <path d={sparkPath(errors, w, h)} fill="none" stroke="var(--chart-2)" stroke-width="1.2" />
      )}
    </svg>
  );
}
