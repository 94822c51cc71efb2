/**
 * Dataset generator for the query benchmarks (both backends): the events of a dataset defined by
 * integer formulas, stored through the storage layer's ingest (validated, batches of 1,000) and
 * derived by the collector's own derivation pass — so the derived tables are exactly what ingest
 * produces, and generating a large dataset also shows how fast the pass derives a backlog.
 */
import { type Event, validateBatch } from "@mcpsight/protocol";
import type { Storage } from "@mcpsight/server";
import { CLIENTS, INTENT, STEP_MS, sourceFields } from "./collector-data.js";

export interface Dataset {
  projectId: string;
  /** Sessions; ~10 events each (5–15), so events ≈ 10 × sessions. */
  sessions: number;
  users: number;
  days: number;
  /** Events end before this time (epoch ms, whole hour). */
  end: number;
}

export const datasetFor = (events: number, projectId: string, end = Date.now()): Dataset => ({
  projectId,
  sessions: Math.max(1, Math.round(events / 10)),
  users: Math.max(1, Math.round(events / 100)),
  days: 30,
  end: Math.floor(end / 3_600_000) * 3_600_000,
});

const M = 2147483647;

// Every product stays below 2^53, so the numbers are exact.
const hash = (s: number, i: number, k: number) =>
  (((s * 1103515245 + i * 12345 + k * 2654435) % M) * 48271) % M;
const spanOf = (d: Dataset) => d.days * 86_400_000;
const startOf = (d: Dataset, s: number) =>
  d.end - spanOf(d) - 3_600_000 + Math.floor((s * spanOf(d)) / d.sessions) + (hash(s, 0, 2) % 600_000);
const countOf = (s: number) => 5 + (hash(s, 0, 1) % 11);
const toolIndexOf = (s: number, i: number) => {
  const r = hash(s, i, 3) % 1000;
  return Math.floor((r * r * 20) / 1_000_000);
};
const isErrorOf = (s: number, i: number) => i > 0 && hash(s, i, 4) % 50 === 0;
const durationOf = (s: number, i: number) => {
  const r = hash(s, i, 5) % 1000;
  return 5 + Math.floor((r * r * r * 2) / 1_000_000);
};
/** Identified sessions (4 in 5) go round the users, so every user has sessions. */
const userOf = (d: Dataset, s: number) => ((s - Math.floor(s / 5)) * 7919) % d.users;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** The events of session `s`, as an SDK would send them. */
export function sessionEvents(d: Dataset, s: number): Event[] {
  const start = startOf(d, s);
  const user = userOf(d, s);
  const [clientName, clientVersion] = CLIENTS[s % CLIENTS.length] ?? CLIENTS[0];
  return Array.from({ length: countOf(s) }, (_, i) => {
    const tool = `tool_${pad(toolIndexOf(s, i), 2)}`;
    const isError = isErrorOf(s, i);
    const event: Event = {
      id: `evt_${pad(s, 7)}_${pad(i, 2)}`,
      projectId: d.projectId,
      sessionId: `ses_${pad(s, 7)}`,
      eventType: i === 0 ? "mcp:initialize" : "mcp:tools/call",
      timestamp: new Date(start + i * STEP_MS).toISOString(),
      duration: durationOf(s, i),
      ...(i === 0 ? {} : { resourceName: tool }),
      parameters: { query: `find records matching item ${s % 1000}`, limit: 20, offset: i * 20 },
      ...(isError
        ? { isError: true, error: { message: `upstream timeout on ${tool}`, type: "TimeoutError" } }
        : {
            response: {
              content: [
                {
                  type: "text",
                  text: `Found ${i * 3} records for item ${s % 1000}; first: record-${s}-${i}`,
                },
              ],
            },
          }),
      ...(i % 10 === 1 ? { userIntent: INTENT } : {}),
      ...sourceFields(s % 5 === 4 ? null : user, clientName, clientVersion),
    };
    return event;
  });
}

/** Sends the dataset's events through a store's ingest, validated, in batches (as the SDK does). */
export async function ingestDataset(
  store: Pick<Storage, "ingestEvents">,
  d: Dataset,
  log: (line: string) => void = () => {},
): Promise<number> {
  let batch: unknown[] = [];
  let stored = 0;
  let reported = 0;
  const flush = async () => {
    const result = validateBatch({ events: batch });
    if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 3)));
    if (result.value.rejected.length > 0) throw new Error(JSON.stringify(result.value.rejected.slice(0, 3)));
    stored += (await store.ingestEvents(result.value.events.map((item) => item.event))).accepted;
    batch = [];
    if (stored - reported >= 1_000_000) {
      reported = stored;
      log(`  stored ${stored.toLocaleString("en-US")} events`);
    }
  };
  for (let s = 0; s < d.sessions; s++) {
    for (const event of sessionEvents(d, s)) {
      batch.push(event);
      if (batch.length === 1_000) await flush();
    }
  }
  if (batch.length > 0) await flush();
  return stored;
}

/**
 * Fills a store (its project created) with the dataset and waits until the pass has derived it,
 * logging progress. Returns the events stored and the seconds storing and deriving took.
 */
export async function generateDataset(
  storage: Storage,
  d: Dataset,
  log: (line: string) => void,
): Promise<{ events: number; storeSeconds: number; deriveSeconds: number }> {
  const start = performance.now();
  const events = await ingestDataset(storage, d, log);
  const stored = performance.now();
  const progress = setInterval(() => {
    void storage.getDerivationStatus().then((status) => {
      log(`  deriving: ${status.pending.toLocaleString("en-US")} events pending`);
      if (status.lastError) log(`  the pass failed and retries: ${status.lastError}`);
    });
  }, 10_000);
  try {
    await storage.waitForDerivation(3_600_000);
  } finally {
    clearInterval(progress);
  }
  const done = performance.now();
  return { events, storeSeconds: (stored - start) / 1000, deriveSeconds: (done - stored) / 1000 };
}
