/**
 * The time range picked in the header, kept in the URL (`range=24h`, or `range=custom&from=…&to=…`).
 * Relative ranges are resolved against "now" at every fetch, so live refresh slides the window.
 */

export const PRESETS = ["1h", "24h", "7d", "30d"] as const;
export type Preset = (typeof PRESETS)[number];

export type TimeRange = { kind: "preset"; preset: Preset } | { kind: "custom"; from: Date; to: Date };

export const DEFAULT_PRESET: Preset = "24h";
export const DEFAULT_RANGE: TimeRange = { kind: "preset", preset: DEFAULT_PRESET };

const PRESET_MS: Record<Preset, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

export const PRESET_LABELS: Record<Preset, string> = {
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

function parseDate(value: string | null): Date | null {
  if (!value) return null;
  const d = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function parseRange(query: URLSearchParams): TimeRange {
  const range = query.get("range");
  if (range === "custom") {
    const from = parseDate(query.get("from"));
    const to = parseDate(query.get("to"));
    if (from && to && from < to) return { kind: "custom", from, to };
    return DEFAULT_RANGE;
  }
  if ((PRESETS as readonly string[]).includes(range ?? ""))
    return { kind: "preset", preset: range as Preset };
  return DEFAULT_RANGE;
}

/** The query keys that describe `range`; the default range leaves the URL clean. */
export function rangeToQuery(range: TimeRange): {
  range: string | null;
  from: string | null;
  to: string | null;
} {
  if (range.kind === "custom") {
    return { range: "custom", from: range.from.toISOString(), to: range.to.toISOString() };
  }
  return { range: range.preset === DEFAULT_PRESET ? null : range.preset, from: null, to: null };
}

export interface ResolvedRange {
  from: Date;
  to: Date;
}

export function resolveRange(range: TimeRange, now: number = Date.now()): ResolvedRange {
  if (range.kind === "custom") return { from: range.from, to: range.to };
  return { from: new Date(now - PRESET_MS[range.preset]), to: new Date(now) };
}

export function describeRange(range: TimeRange): string {
  if (range.kind === "preset") return PRESET_LABELS[range.preset];
  const fmt = (d: Date) => d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  return `${fmt(range.from)} – ${fmt(range.to)}`;
}

/** `yyyy-MM-ddTHH:mm` in local time, for `<input type="datetime-local">`. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
