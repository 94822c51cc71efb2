/**
 * SDK through a collector outage: a host process (src/outage-host.ts: an McpServer tracked by the
 * built mcpsight package, called in memory at --rate calls/s) runs against a real collector
 * (collector-server.ts, SQLite, own process). After --before seconds the collector is stopped; it
 * is restarted on the same port --outage seconds later; the host keeps calling for --after more
 * seconds, then flushes. Reported: the share of each phase's calls the collector stored (the
 * target: ≥ 90 % of the outage's events), what the SDK dropped, and the host's extra memory
 * (RSS and heap high-water from the outage on, over the steady state just before it, after a GC).
 *
 * Usage (from bench/): npm run bench:sdk:outage -- [--outage 60] [--rate 1000] [--before 10]
 *   [--after 30] [--flush-timeout 60]
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type CollectorProcess, startCollectorProcess } from "./src/collector-process.js";
import { LagProbe } from "./src/derivation-lag.js";
import { describeMachine } from "./src/machine.js";
import {
  type HostCommand,
  type HostMessage,
  type MemorySample,
  type Phase,
  TOOL_OF,
} from "./src/outage-protocol.js";

const { values } = parseArgs({
  options: {
    outage: { type: "string", default: "60" },
    rate: { type: "string", default: "1000" },
    before: { type: "string", default: "10" },
    after: { type: "string", default: "30" },
    "flush-timeout": { type: "string", default: "60" },
  },
});
const seconds = (name: keyof typeof values): number => Number(values[name]);
const PHASES: Phase[] = ["before", "outage", "after"];
const ADMIN_TOKEN = "msk_bench";
const MB = 1024 * 1024;

const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls per tool the collector stored for the project, once the derivation pass has caught up. */
async function storedCalls(collector: CollectorProcess): Promise<Record<string, number>> {
  await new LagProbe([collector.url]).drain(120_000);
  const from = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const response = await fetch(
    `${collector.url}/api/v1/projects/${collector.projectId}/tools?from=${encodeURIComponent(from)}`,
    { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
  );
  if (!response.ok) throw new Error(`tools query failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { items: { name: string; calls: number }[] };
  return Object.fromEntries(body.items.map((item) => [item.name, item.calls]));
}

out(`SDK outage benchmark · ${describeMachine()}`);
const dir = mkdtempSync(join(tmpdir(), "mcpsight-outage-"));
let collector: CollectorProcess | undefined = await startCollectorProcess(dir);
const host = fork(join(import.meta.dirname, "src", "outage-host.ts"), [], {
  execArgv: ["--import", "tsx", "--expose-gc"],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
  env: {
    ...process.env,
    OUTAGE_RATE: values.rate,
    OUTAGE_COLLECTOR_URL: collector.url,
    OUTAGE_PROJECT_ID: collector.projectId,
  },
});
const messages: HostMessage[] = [];
let wake: (() => void) | undefined;
host.on("message", (message: HostMessage) => {
  messages.push(message);
  wake?.();
});
let hostGone = false;
const hostExited = new Promise((resolve) =>
  host.once("exit", (code) => {
    hostGone = true;
    wake?.();
    resolve(code);
  }),
);

/** Waits for the host's next message matching `pick`. */
async function fromHost<T>(pick: (message: HostMessage) => T | undefined): Promise<T> {
  for (;;) {
    for (const [i, message] of messages.entries()) {
      const value = pick(message);
      if (value !== undefined) {
        messages.splice(i, 1);
        return value;
      }
    }
    if (hostGone) throw new Error("the host process exited before answering");
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
}
const command = (message: HostCommand) => host.send(message);

try {
  const { port } = collector;
  await fromHost((m) => ("ready" in m ? true : undefined));
  out(
    `collector ${collector.url} · ${values.rate} calls/s · before ${values.before} s, outage ${values.outage} s, after ${values.after} s`,
  );

  await sleep(seconds("before") * 1000);
  command({ phase: "outage" });
  await fromHost((m) => ("phaseStarted" in m && m.phaseStarted === "outage" ? true : undefined));
  const down = performance.now();
  await collector.close();
  await sleep(seconds("outage") * 1000);
  collector = await startCollectorProcess(dir, { port });
  out(`collector down (SIGTERM to listening again) for ${((performance.now() - down) / 1000).toFixed(1)} s`);
  command({ phase: "after" });
  await sleep(seconds("after") * 1000);
  command({ stop: { flushTimeoutMs: seconds("flush-timeout") * 1000 } });
  const report = await fromHost((m) => ("report" in m ? m.report : undefined));
  const stored = await storedCalls(collector);

  out("\nphase     calls    stored   share");
  let lost = 0;
  for (const phase of PHASES) {
    const calls = report.calls[phase];
    const kept = stored[TOOL_OF[phase]] ?? 0;
    lost += calls - kept;
    const share = calls === 0 ? "–" : `${((kept / calls) * 100).toFixed(1)} %`;
    out(`${phase.padEnd(8)} ${String(calls).padStart(6)} ${String(kept).padStart(9)} ${share.padStart(8)}`);
  }
  out(
    `\ntool calls not stored: ${lost} · drops the SDK reported to the collector: ${report.reportedDrops}` +
      " (these also count non-tool events: initialize, tools/list, identify)",
  );
  const mb = (bytes: number) => (bytes / MB).toFixed(1);
  const over = (sample: MemorySample, key: keyof MemorySample) =>
    `${sample[key] >= report.baseline[key] ? "+" : ""}${mb(sample[key] - report.baseline[key])}`;
  out("\nhost memory, MB     baseline   high-water up   high-water from outage on   live at recovery");
  for (const key of ["rss", "heapUsed", "external"] as const) {
    out(
      `${key.padEnd(18)} ${mb(report.baseline[key]).padStart(9)} ${over(report.peakUp, key).padStart(15)} ` +
        `${over(report.peakDown, key).padStart(27)} ${over(report.liveAtRecovery, key).padStart(18)}`,
    );
  }
  out(
    "(baseline: after a full GC just before the outage; high-water up: the collector up, before the outage;" +
      " live at recovery: after a full GC when the collector is back — what the backlog retains)",
  );
  out(
    `final flush ${(report.flushMs / 1000).toFixed(1)} s · most calls behind the schedule at once: ${report.behindSchedule}`,
  );
} finally {
  if (host.connected) host.disconnect();
  host.kill();
  await hostExited;
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
}
