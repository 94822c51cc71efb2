// The collector of collector-server.ts in a child process, for benchmarks that must not share its
// thread (ingest) or must stop and restart it (the SDK outage).
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface CollectorProcess {
  url: string;
  projectId: string;
  port: number;
  pid: number | undefined;
  /** SIGTERM, then waits for the process to exit (the collector closes gracefully). */
  close(): Promise<void>;
}

export interface CollectorProcessOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts the collector over `dataDir` and resolves once it listens. */
export async function startCollectorProcess(
  dataDir: string,
  options: CollectorProcessOptions = {},
): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--conditions=@mcpsight/source",
      "--import",
      "tsx",
      join(import.meta.dirname, "..", "collector-server.ts"),
      dataDir,
      String(options.port ?? 0),
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: options.env ?? process.env },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes("\n")) resolve(text.split("\n")[0] ?? "");
    });
    child.once("exit", (code) => reject(new Error(`collector exited with ${code}`)));
  });
  const { url, projectId } = JSON.parse(line) as { url: string; projectId: string };
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    url,
    projectId,
    port: Number(new URL(url).port),
    pid: child.pid,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
