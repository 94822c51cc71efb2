/** Display formatters. Pure, locale-aware where it helps, and tolerant of missing values. */

const numberFmt = new Intl.NumberFormat(undefined);
const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Math.abs(n) >= 100_000 ? compactFmt.format(n) : numberFmt.format(n);
}

/** `ratio` is 0..1. */
export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return "–";
  const pct = ratio * 100;
  if (pct > 0 && pct < 10 ** -digits) return `<${10 ** -digits}%`;
  return `${pct.toFixed(pct === 0 || pct === 100 ? 0 : digits)}%`;
}

/** Milliseconds to `850 ms`, `1.2 s`, `3 min 5 s`, `2 h 4 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  if (ms < 1) return ms === 0 ? "0 ms" : "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const s = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)} min${s ? ` ${s} s` : ""}`;
  }
  const totalMinutes = Math.round(totalSeconds / 60);
  if (totalMinutes < 1440) {
    const m = totalMinutes % 60;
    return `${Math.floor(totalMinutes / 60)} h${m ? ` ${m} min` : ""}`;
  }
  const h = Math.round(totalMinutes / 60) % 24;
  return `${Math.floor(totalMinutes / 1440)} d${h ? ` ${h} h` : ""}`;
}

/** Offset from the start of a session: `+0.000 s`, `+12.345 s`, `+3:05.120`. */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? "−" : "+";
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(3)} s`;
  const minutes = Math.floor(abs / 60_000);
  const seconds = ((abs % 60_000) / 1000).toFixed(3).padStart(6, "0");
  if (minutes < 60) return `${sign}${minutes}:${seconds}`;
  return `${sign}${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${seconds}`;
}

export function toDate(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatDateTime(value: string | number | Date | null | undefined): string {
  const d = toDate(value);
  return d ? dateTimeFmt.format(d) : "–";
}

/** `just now`, `5 min ago`, `3 h ago`, `2 d ago`; older dates fall back to the calendar date. */
export function formatRelative(value: string | number | Date | null | undefined, now = Date.now()): string {
  const d = toDate(value);
  if (!d) return "–";
  const diff = now - d.getTime();
  if (diff < 0) return d.toLocaleString();
  if (diff < 45_000) return "just now";
  if (diff < 3_600_000) return `${Math.max(1, Math.round(diff / 60_000))} min ago`;
  if (diff < 86_400_000) return `${Math.round(diff / 3_600_000)} h ago`;
  if (diff < 30 * 86_400_000) return `${Math.round(diff / 86_400_000)} d ago`;
  return d.toLocaleDateString();
}

/** `mcp:tools/call` → `tools/call`; mcpsight's own events keep a readable name. */
export function formatEventType(eventType: string): string {
  if (eventType === "mcpsight:identify") return "identify";
  if (eventType === "mcpsight:custom") return "custom event";
  return eventType.startsWith("mcp:") ? eventType.slice(4) : eventType;
}

/** Shortens long ids in the middle, keeping both ends recognisable. */
export function shortId(id: string, max = 18): string {
  if (id.length <= max) return id;
  const keep = Math.floor((max - 1) / 2);
  return `${id.slice(0, keep)}…${id.slice(-keep)}`;
}

/** `1 session`, `3 sessions`; pass `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}
