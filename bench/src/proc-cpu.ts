/**
 * CPU time by process over a measured phase, from /proc (Linux only): utime + stime of chosen
 * processes (by pid, or every process owned by one user, e.g. the PostgreSQL server's backends and
 * background processes), the bench process itself (process.cpuUsage), and the whole machine's busy
 * time from /proc/stat, so a reader sees how much CPU other jobs used (machine − accounted).
 *
 * Processes that exit during the phase (a psql client, the backend serving it) can no longer be
 * read afterwards, so the meter polls every 100 ms and keeps, per pid, the first and the last value
 * seen: a process that exits loses at most its last 100 ms of CPU. A pid first seen after the phase
 * started counts from 0; a pid present at the start counts from its value at the start.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux where it fails). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The uid of a user name (`id -u`), or undefined if there is no such user here. */
export function userId(name: string): number | undefined {
  try {
    return Number(execFileSync("id", ["-u", name], { encoding: "utf8", stdio: "pipe" }).trim());
  } catch {
    return undefined;
  }
}

interface ProcTimes {
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Start time since boot, in clock ticks: tells a reused pid from the process seen before. */
  started: number;
}

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat, all threads) or undefined once it exited. */
export function procTimes(pid: number): ProcTimes | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 (comm) is parenthesised and may contain spaces; the fields after it start at field 3.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    ticks: Number(fields[14 - 3]) + Number(fields[15 - 3]),
    started: Number(fields[22 - 3]),
  };
}

/** Busy clock ticks of all CPUs since boot: user + nice + system + irq + softirq + steal. */
export function machineBusyTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
}

interface Tracked {
  group: string;
  started: number;
  first: number;
  last: number;
}

/** CPU seconds over one phase, per group, with the bench process and the whole machine. */
export interface CpuUsage {
  groups: Map<string, number>;
  /** This process (it also runs the polling). */
  bench: number;
  /** Busy time of all CPUs, every process on the machine included. */
  machine: number;
}

/**
 * Measures one phase: `track` pids by group (before `start` they count from their value at the
 * start, after it from 0), and with `userGroup` every process owned by that uid joins that group
 * as it is found by listing /proc at each poll (the uid is cached per pid).
 */
export class CpuMeter {
  private readonly tracked = new Map<number, Tracked>();
  /** CPU of processes whose pid was reused during the phase, per group, in ticks. */
  private readonly ended = new Map<string, number>();
  /** Owner uid per pid listed by the last scan: only new pids are stat'ed. */
  private uids = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private benchStart = process.cpuUsage();
  private machineStart = 0;

  constructor(
    private readonly userGroup?: { uid: number; group: string },
    private readonly intervalMs = 100,
  ) {}

  track(group: string, pid: number): void {
    this.read(pid, group);
  }

  start(): void {
    this.poll();
    for (const entry of this.tracked.values()) entry.first = entry.last; // tracked before: from now
    this.running = true;
    this.benchStart = process.cpuUsage();
    this.machineStart = machineBusyTicks();
    this.timer = setInterval(() => this.poll(), this.intervalMs);
  }

  stop(): CpuUsage {
    clearInterval(this.timer);
    this.poll();
    const bench = process.cpuUsage(this.benchStart);
    const machine = machineBusyTicks() - this.machineStart;
    const groups = new Map(this.ended);
    for (const entry of this.tracked.values())
      groups.set(entry.group, (groups.get(entry.group) ?? 0) + entry.last - entry.first);
    return {
      groups: new Map([...groups].map(([group, ticks]) => [group, ticks / CLK_TCK])),
      bench: (bench.user + bench.system) / 1e6,
      machine: machine / CLK_TCK,
    };
  }

  private poll(): void {
    for (const [pid, entry] of this.tracked) this.read(pid, entry.group);
    if (!this.userGroup) return;
    const { uid, group } = this.userGroup;
    const uids = new Map<number, number>();
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      const owner = this.uids.get(pid) ?? statSync(`/proc/${name}`, { throwIfNoEntry: false })?.uid;
      if (owner === undefined) continue; // already exited
      uids.set(pid, owner);
      if (owner === uid && !this.tracked.has(pid)) this.read(pid, group);
    }
    this.uids = uids;
  }

  private read(pid: number, group: string): void {
    const times = procTimes(pid);
    if (!times) return; // exited: its last reading stands
    let entry = this.tracked.get(pid);
    if (entry && entry.started !== times.started) {
      // The pid was reused: keep what the earlier process spent; the scan rediscovers the new one.
      this.ended.set(entry.group, (this.ended.get(entry.group) ?? 0) + entry.last - entry.first);
      this.tracked.delete(pid);
      this.uids.delete(pid);
      return;
    }
    if (!entry) {
      entry = { group, started: times.started, first: this.running ? 0 : times.ticks, last: 0 };
      this.tracked.set(pid, entry);
    }
    entry.last = times.ticks;
  }
}
