import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { ADMIN_PASSWORD, ADMIN_TOKEN } from "./helpers.js";

export const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

export interface CollectorProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output: () => string;
}

/**
 * Runs `mcpsight start` (from source) as a separate process on a free port, with the admin secrets
 * of the tests; `env` adds to or overrides the environment. Resolves once it listens; rejects with
 * its output if it exits first.
 */
export async function startProcess(
  dataDir: string,
  databaseUrl: string | undefined,
  env: Record<string, string> = {},
): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    [
      "--conditions",
      "@mcpsight/source",
      "--import",
      "tsx",
      CLI,
      "start",
      "--port",
      "0",
      "--log-level",
      "warn",
    ],
    {
      env: {
        ...process.env,
        MCPSIGHT_DATABASE_URL: databaseUrl ?? "",
        MCPSIGHT_DATA_DIR: dataDir,
        MCPSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
        MCPSIGHT_ADMIN_TOKEN: ADMIN_TOKEN,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`collector exited (${code ?? signal}):\n${output}`)),
    );
  });
  return { url, child, output: () => output };
}

export async function stopProcess(collector: CollectorProcess): Promise<void> {
  if (collector.child.exitCode !== null || collector.child.signalCode !== null) return;
  collector.child.kill("SIGTERM");
  await once(collector.child, "exit");
}
