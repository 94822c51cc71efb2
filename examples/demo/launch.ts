// Starts example servers as child processes, the way an MCP client or a deployment runs them: stdio
// examples through a client transport (one process per session), HTTP examples as long-running
// servers on a free port. Shared by the demo and the tests.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
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
  | GoExample;
/** Go examples (examples/go), run as the binaries buildGoExamples makes. */
export type GoExample = "go-basic";
export type HttpExample = "api-key" | "mcp-auth";

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

const isGoExample = (name: StdioExample): name is GoExample => name.startsWith("go-");

/** A client transport that starts a stdio example; its stderr is collected into `stderr`. */
export function stdioTransport(
  name: StdioExample,
  target: CollectorTarget,
): { transport: StdioClientTransport; stderr: () => string } {
  if (isGoExample(name) && !goBinaries) throw new Error(`${name}: the Go examples are not built`);
  const transport = new StdioClientTransport({
    command: isGoExample(name) ? join(goBinaries as string, name.slice("go-".length)) : process.execPath,
    args: isGoExample(name) ? [] : nodeArgs(exampleEntry(name as Exclude<StdioExample, GoExample>)),
    cwd: EXAMPLES_DIR,
    env: exampleEnv(target),
    stderr: "pipe",
  });
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
  const child: ChildProcess = spawn(process.execPath, nodeArgs(exampleEntry(name)), {
    cwd: EXAMPLES_DIR,
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
