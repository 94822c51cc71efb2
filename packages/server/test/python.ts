// A Python interpreter with the official MCP SDK (`mcp` from PyPI), for tests that drive servers
// with the real Python client. Created once in a virtual environment under node_modules/.cache
// (about half a minute, needs PyPI), then reused; MCPSIGHT_TEST_PYTHON names an interpreter that
// already has `mcp` installed instead.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const PYTHON_MCP_VERSION = "2.3.0";

const run = promisify(execFile);
const CACHE = fileURLToPath(new URL("../../../node_modules/.cache/", import.meta.url));
const VENV = join(CACHE, `mcpsight-python-mcp-${PYTHON_MCP_VERSION}`);
const bin = (venv: string) =>
  join(
    venv,
    process.platform === "win32" ? "Scripts" : "bin",
    process.platform === "win32" ? "python.exe" : "python",
  );

/** Whether a `python3` (3.10+) is on the PATH to build the environment with, or one is given. */
export const pythonAvailable: boolean =
  Boolean(process.env.MCPSIGHT_TEST_PYTHON) ||
  spawnSync("python3", ["-c", "import sys; sys.exit(sys.version_info < (3, 10))"]).status === 0;

let ready: Promise<string> | undefined;

/** The interpreter to run Python MCP clients with; builds the environment on first use. */
export function pythonWithMcp(): Promise<string> {
  ready ??= prepare();
  return ready;
}

async function prepare(): Promise<string> {
  const given = process.env.MCPSIGHT_TEST_PYTHON;
  if (given) return given;
  const python = bin(VENV);
  // The marker is written last, so an interrupted install is rebuilt rather than used.
  const marker = join(VENV, ".mcpsight-ready");
  if (existsSync(marker)) return python;
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  await run("python3", ["-m", "venv", VENV]);
  await run(python, ["-m", "pip", "install", "--quiet", `mcp==${PYTHON_MCP_VERSION}`], { timeout: 300_000 });
  writeFileSync(marker, `mcp==${PYTHON_MCP_VERSION}\n`);
  return python;
}
