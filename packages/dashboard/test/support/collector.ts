import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../../../..");
export const CLI = join(ROOT, "packages/server/dist/cli.js");
export const DASHBOARD_DIST = join(ROOT, "packages/dashboard/dist/index.html");

export interface RunningCollector {
  url: string;
  dataDir: string;
  token: string;
  password: string;
  logs: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/**
 * Waits until the collector has derived every event it acknowledged: polls `GET /healthz` until
 * `derivation.pending` is 0 (the dashboard reads derived tables only).
 */
export async function derived(collector: { url: string }, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = (await (await fetch(`${collector.url}/healthz`)).json()) as {
      derivation?: { pending: number };
    };
    if (health.derivation?.pending === 0) return;
    if (Date.now() > deadline)
      throw new Error(`derivation still had ${health.derivation?.pending} event(s) pending`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts the real collector CLI on a free port and a temporary data dir (SQLite, or the
 * PostgreSQL database of `databaseUrl`), and waits for /healthz.
 */
export async function startCollector(options: { databaseUrl?: string } = {}): Promise<RunningCollector> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  if (!existsSync(DASHBOARD_DIST))
    throw new Error(`${DASHBOARD_DIST} is missing: run \`npm run build\` first`);
  const dataDir = mkdtempSync(join(tmpdir(), "mcpsight-dashboard-e2e-"));
  const port = await freePort();
  const password = "e2e-correct-horse-battery";
  const token = "msk_e2e_dashboard_token_0123456789";
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      "start",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      ...(options.databaseUrl ? ["--database-url", options.databaseUrl] : []),
    ],
    {
      cwd: dataDir,
      env: {
        ...process.env,
        MCPSIGHT_ADMIN_PASSWORD: password,
        MCPSIGHT_ADMIN_TOKEN: token,
        MCPSIGHT_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`collector did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    token,
    password,
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads the query API as the admin, with the bearer token. */
export async function api<T>(collector: RunningCollector, path: string): Promise<T> {
  const res = await fetch(`${collector.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${collector.token}` },
  });
  if (!res.ok) throw new Error(`GET ${path} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Creates one more project with the CLI, against the running collector's data dir. */
export function createProject(collector: RunningCollector, name: string): void {
  execFileSync(process.execPath, [CLI, "project", "create", name, "--data-dir", collector.dataDir], {
    stdio: "pipe",
  });
}
