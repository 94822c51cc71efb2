import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";

/** The facts a reader needs to compare figures across machines. */
export function describeMachine(): string {
  let cpu = "unknown CPU";
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1]) cpu = match[1].trim();
  } catch {
    // Not Linux; the CPU model is only informative.
  }
  // Load average says how much other work shared the CPUs; figures from a busy machine are noisy.
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(" / ");
  return `${new Date().toISOString().slice(0, 10)} · ${availableParallelism()} CPUs (${cpu}) · Node ${process.version} · load average ${load} at start`;
}
