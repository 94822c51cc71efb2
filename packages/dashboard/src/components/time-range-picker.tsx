import { useState } from "preact/hooks";
import {
  describeRange,
  PRESET_LABELS,
  PRESETS,
  parseRange,
  rangeToQuery,
  type TimeRange,
  toLocalInput,
} from "../lib/time-range";
import { buildHref, withQuery } from "../router";

/** Presets are plain links (the range lives in the URL); "Custom" opens two date-time inputs. */
export function TimeRangePicker({ path, query }: { path: string; query: URLSearchParams }) {
  const range = parseRange(query);
  const [custom, setCustom] = useState(false);
  const hrefFor = (r: TimeRange) => buildHref(path, withQuery(query, { ...rangeToQuery(r), cursor: null }));
  return (
    <div class="custom-range">
      <nav class="range-picker" aria-label="Time range">
        {PRESETS.map((p) => (
          <a
            key={p}
            href={hrefFor({ kind: "preset", preset: p })}
            aria-current={range.kind === "preset" && range.preset === p ? "true" : undefined}
            title={PRESET_LABELS[p]}
          >
            {p}
          </a>
        ))}
        <button
          type="button"
          aria-expanded={custom}
          aria-current={range.kind === "custom" ? "true" : undefined}
          onClick={() => setCustom(!custom)}
        >
          Custom
        </button>
      </nav>
      {range.kind === "custom" && !custom && <span class="muted small">{describeRange(range)}</span>}
      {custom && (
        <CustomRangeForm
          initial={range}
          onApply={(r) => {
            setCustom(false);
            window.location.hash = hrefFor(r).slice(1);
          }}
        />
      )}
    </div>
  );
}

function CustomRangeForm({ initial, onApply }: { initial: TimeRange; onApply: (r: TimeRange) => void }) {
  const now = Date.now();
  const [from, setFrom] = useState(
    toLocalInput(initial.kind === "custom" ? initial.from : new Date(now - 86_400_000)),
  );
  const [to, setTo] = useState(toLocalInput(initial.kind === "custom" ? initial.to : new Date(now)));
  const [error, setError] = useState("");
  return (
    <form
      class="custom-range"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new Date(from);
        const t = new Date(to);
        if (Number.isNaN(f.getTime()) || Number.isNaN(t.getTime()) || f >= t) {
          setError("Pick a start before the end.");
          return;
        }
        onApply({ kind: "custom", from: f, to: t });
      }}
    >
      <label class="field">
        From
        <input type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} required />
      </label>
      <label class="field">
        To
        <input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} required />
      </label>
      <button type="submit" class="primary">
        Apply
      </button>
      {error && (
        <span class="err-text small" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
