import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface SinkStats {
  received: number;
  unique: number;
  requests: number;
  droppedReported: number;
}

/** The counting sink in a child process. */
export class SinkProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<SinkProcess> {
    const script = fileURLToPath(new URL("./sink-server.ts", import.meta.url));
    const child = fork(script, [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once("message", (message) => resolve((message as { port: number }).port));
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`sink exited with ${code}`)));
    });
    return new SinkProcess(child, `http://127.0.0.1:${port}`);
  }

  async stats(): Promise<SinkStats> {
    const response = await fetch(`${this.url}/stats`);
    return (await response.json()) as SinkStats;
  }

  async reset(): Promise<void> {
    await fetch(`${this.url}/reset`, { method: "POST" });
  }

  /** Polls until `count` distinct events arrived or `timeoutMs` passed; returns the last stats. */
  async waitFor(count: number, timeoutMs: number): Promise<SinkStats> {
    const deadline = Date.now() + timeoutMs;
    let stats = await this.stats();
    while (stats.unique < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      stats = await this.stats();
    }
    return stats;
  }

  /** Waits until nothing new arrived for 100 ms (a sender's backlog drained), at most `timeoutMs`. */
  async waitQuiet(timeoutMs: number): Promise<SinkStats> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.stats();
    let quietSince = Date.now();
    while (Date.now() < deadline && Date.now() - quietSince < 100) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const next = await this.stats();
      if (next.received !== last.received) quietSince = Date.now();
      last = next;
    }
    return last;
  }

  stop(): void {
    this.child.disconnect();
  }
}
