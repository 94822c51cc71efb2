// A collector server script (collector-server.ts, postgres-server.ts) in a child process, for
// benchmarks that must not share its thread (ingest) or must stop and restart it (the SDK outage).
// The script prints one JSON line when it listens and closes on SIGTERM.
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface ServerProcess<T> {
  /** The JSON line the script printed once listening. */
  ready: T;
  pid: number | undefined;
  /** SIGTERM, then waits for the process to exit (the collector closes gracefully). */
  close(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts `script` (a path under bench/) through tsx with `args`; resolves once it printed its line. */
export async function startServerProcess<T>(
  script: string,
  args: string[],
  options: ServerProcessOptions = {},
): Promise<ServerProcess<T>> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--conditions=@mcpsight/source",
      "--import",
      "tsx",
      join(import.meta.dirname, "..", script),
      ...args,
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: options.env ?? process.env },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes("\n")) resolve(text.split("\n")[0] ?? "");
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    ready: JSON.parse(line) as T,
    pid: child.pid,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface CollectorProcess {
  url: string;
  projectId: string;
  port: number;
  pid: number | undefined;
  close(): Promise<void>;
}

/** The SQLite collector of collector-server.ts over `dataDir`, on `port` (0, the default, picks a free one). */
export async function startCollectorProcess(
  dataDir: string,
  options: ServerProcessOptions & { port?: number } = {},
): Promise<CollectorProcess> {
  const server = await startServerProcess<{ url: string; projectId: string }>(
    "collector-server.ts",
    [dataDir, String(options.port ?? 0)],
    options,
  );
  const { url, projectId } = server.ready;
  return { url, projectId, port: Number(new URL(url).port), pid: server.pid, close: server.close };
}
