// What the outage benchmark's driver (sdk-outage.ts) and host (outage-host.ts) say to each other.

export type Phase = "before" | "outage" | "after";

/** The tool the host calls in each phase, so the collector's per-tool counts tell the phases apart. */
export const TOOL_OF: Record<Phase, string> = {
  before: "search_before",
  outage: "search_during_outage",
  after: "search_after",
};

export type HostCommand = { phase: Phase } | { stop: { flushTimeoutMs: number } };

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface HostReport {
  calls: Record<Phase, number>;
  /** Memory right before the outage, after a full GC. */
  baseline: MemorySample;
  /** Highest memory seen while the collector was up, before the outage (after a 1 s warm-up). */
  peakUp: MemorySample;
  /** Highest memory seen from the outage on, through recovery and the final flush. */
  peakDown: MemorySample;
  /** Memory when the collector came back, after a full GC: what the outage's backlog retains. */
  liveAtRecovery: MemorySample;
  /** Drops the SDK reported to the collector (its `droppedEvents`), from its debug log. */
  reportedDrops: number;
  flushMs: number;
  /** The most calls the host was ever behind its schedule (it calls sequentially, as one client). */
  behindSchedule: number;
}

export type HostMessage = { ready: true } | { phaseStarted: Phase } | { report: HostReport };
