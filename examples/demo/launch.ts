// Starts example servers as child processes, the way an MCP client or a deployment runs them: stdio
// examples through a client transport (one process per session), HTTP examples as long-running
// servers on a free port. Shared by the demo and the tests.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export const EXAMPLES_DIR = fileURLToPath(new URL("..", import.meta.url));

export type StdioExample =
  | "basic"
  | "token-auth"
  | "error-handling"
  | "anonymous"
  | "migrating-from-mcpcat"
  | "python/basic"
  | "python/anonymous"
  | GoExample;
/** Go examples (examples/go), run as the binaries buildGoExamples makes. */
export type GoExample = "go-basic";
export type HttpExample = "api-key" | "mcp-auth" | "python/api_key";

/** The Python examples' directory (run as `python -m <example>.server` from there). */
export const PYTHON_EXAMPLES_DIR = fileURLToPath(new URL("../python", import.meta.url));

/**
 * A Python interpreter with mcpsight and mcp installed, for the Python examples:
 * `MCPSIGHT_DEMO_PYTHON`, else an environment made by `sdks/python/scripts/test.sh --setup`.
 */
export function pythonInterpreter(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MCPSIGHT_DEMO_PYTHON) return env.MCPSIGHT_DEMO_PYTHON;
  const venvs = fileURLToPath(new URL("../../sdks/python/.venvs", import.meta.url));
  return ["mcp2", "mcp1"].map((name) => join(venvs, name, "bin", "python")).find((path) => existsSync(path));
}

let goBinaries: string | undefined;

/**
 * Builds the Go examples into a temporary folder (removed by removeGoExamples). Resolves false,
 * with the reason, when they cannot be built (no Go toolchain).
 */
export async function buildGoExamples(): Promise<{ ok: boolean; reason?: string }> {
  const dir = mkdtempSync(join(tmpdir(), "mcpsight-demo-go-"));
  try {
    await promisify(execFile)("go", ["build", "-o", dir + sep, "./basic"], { cwd: join(EXAMPLES_DIR, "go") });
    goBinaries = dir;
    return { ok: true };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: error instanceof Error ? error.message.split("\n")[0] : String(error) };
  }
}

export function removeGoExamples(): void {
  if (goBinaries) rmSync(goBinaries, { recursive: true, force: true });
  goBinaries = undefined;
}

const isGoExample = (name: StdioExample | HttpExample): name is GoExample => name.startsWith("go-");

/** How to start an example: TypeScript ones with Node and tsx, Python ones as modules, Go ones built. */
function command(name: StdioExample | HttpExample): { command: string; args: string[]; cwd: string } {
  if (isGoExample(name)) {
    if (!goBinaries) throw new Error(`${name}: the Go examples are not built`);
    return { command: join(goBinaries, name.slice("go-".length)), args: [], cwd: EXAMPLES_DIR };
  }
  if (name.startsWith("python/")) {
    const python = pythonInterpreter();
    if (!python) throw new Error(`no Python environment for ${name}: set MCPSIGHT_DEMO_PYTHON`);
    return {
      command: python,
      args: ["-m", `${name.slice("python/".length)}.server`],
      cwd: PYTHON_EXAMPLES_DIR,
    };
  }
  return { command: process.execPath, args: nodeArgs(exampleEntry(name)), cwd: EXAMPLES_DIR };
}

/** Where an example sends its events (MCPSIGHT_URL and MCPSIGHT_PROJECT_ID). */
export interface CollectorTarget {
  url: string;
  projectId: string;
}

export const exampleEntry = (name: Exclude<StdioExample, GoExample> | HttpExample): string =>
  join(EXAMPLES_DIR, name, "server.ts");

/** Node arguments that run a TypeScript example against the workspace's sources. */
export const nodeArgs = (file: string): string[] => [
  "--conditions",
  "@mcpsight/source",
  "--import",
  "tsx",
  file,
];

const exampleEnv = (target: CollectorTarget, extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, MCPSIGHT_URL: target.url, MCPSIGHT_PROJECT_ID: target.projectId, ...extra };
};

/** A client transport that starts a stdio example; its stderr is collected into `stderr`. */
export function stdioTransport(
  name: StdioExample,
  target: CollectorTarget,
): { transport: StdioClientTransport; stderr: () => string } {
  const transport = new StdioClientTransport({ ...command(name), env: exampleEnv(target), stderr: "pipe" });
  const chunks: string[] = [];
  transport.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  return { transport, stderr: () => chunks.join("") };
}

/** A running HTTP example. */
export interface HttpExampleProcess {
  /** The MCP endpoint, e.g. http://127.0.0.1:41234/mcp. */
  url: string;
  stderr(): string;
  /** SIGTERM: the example flushes its events to the collector and exits. */
  stop(): Promise<void>;
}

/** Starts an HTTP example on a free port and resolves once it listens. */
export async function startHttpExample(
  name: HttpExample,
  target: CollectorTarget,
  timeoutMs = 30_000,
): Promise<HttpExampleProcess> {
  const started = command(name);
  const child: ChildProcess = spawn(started.command, started.args, {
    cwd: started.cwd,
    env: exampleEnv(target, { PORT: "0" }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  const chunks: string[] = [];
  const stderr = () => chunks.join("");
  const url = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number | null) => fail(`${name} exited with code ${code} before listening`);
    const timer = setTimeout(() => fail(`${name} did not start in ${timeoutMs} ms`), timeoutMs);
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${message}\n${stderr()}`));
    };
    child.stderr?.on("data", (chunk: Buffer) => {
      chunks.push(chunk.toString("utf8"));
      const match = /listening on (http:\/\/\S+)/.exec(stderr());
      if (match?.[1]) {
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve(match[1]);
      }
    });
    child.once("exit", onExit);
  });
  return {
    url,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
