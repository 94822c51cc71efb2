// Keeps the documentation honest: every `npm run` script and `mcpsight` command shown in the docs
// exists, and the quick start (`npm start`, the printed login, the CLI commands) really works.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "packages/server/dist/cli.js");

const docs = [
  "README.md",
  "SECURITY.md",
  "examples/README.md",
  "bench/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Lines of the ```sh code blocks of a markdown file, with `\` continuations joined. */
function shellLines(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const lines: string[] = [];
  for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    const body = (block[1] ?? "").replace(/\\\n\s*/g, " ");
    for (const line of body.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command) lines.push(command);
    }
  }
  return lines;
}

const scriptsOf = (dir: string): Record<string, string> =>
  JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).scripts ?? {};

describe("commands in the docs", () => {
  const commands = docs.flatMap((file) => shellLines(file).map((line) => ({ file, line })));

  it("finds the documented commands", () => {
    expect(commands.some(({ line }) => line.includes("npm start"))).toBe(true);
    expect(commands.some(({ line }) => line.includes("npm run demo"))).toBe(true);
  });

  it("every `npm run` names a script that exists", () => {
    const missing: string[] = [];
    for (const { file, line } of commands) {
      for (const match of line.matchAll(/npm run ([\w:.-]+)(?:\s+(?:-w|--workspace)\s+([\w./-]+))?/g)) {
        const [, script, workspace] = match;
        const scripts = scriptsOf(workspace ?? ".");
        if (!script || !(script in scripts)) missing.push(`${file}: ${line}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("every `mcpsight <command>` answers --help", () => {
    const seen = new Set<string>();
    for (const { line } of commands) {
      const match = line.match(
        /(?:^|\s)(?:npx\s+)?mcpsight\s+((?:project|user)\s+\w+|start|migrate|reindex|demo)\b/,
      );
      if (match?.[1]) seen.add(match[1]);
    }
    for (const command of ["start", "project create", "project list", "user delete", "reindex", ...seen]) {
      const out = execFileSync(process.execPath, [cli, ...command.split(" "), "--help"], {
        encoding: "utf8",
      });
      expect(out, command).toMatch(/Usage/);
    }
  });
});

describe("the quick start", () => {
  let dir: string;
  let child: ChildProcess;
  let output = "";
  let url = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mcpsight-docs-"));
    // The credentials are generated and printed, as on a real first start.
    const { MCPSIGHT_ADMIN_PASSWORD: _password, MCPSIGHT_ADMIN_TOKEN: _token, ...env } = process.env;
    child = spawn("npm", ["start", "--", "--port", "0", "--data-dir", join(dir, "data")], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        const found = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
        if (found?.[1] && output.includes("apiBaseUrl")) {
          clearInterval(poll);
          url = found[1];
          resolve();
        }
      }, 50);
      child.once("exit", (code) => {
        clearInterval(poll);
        reject(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const printed = (pattern: RegExp): string => {
    const value = output.match(pattern)?.[1];
    if (!value) throw new Error(`not printed: ${pattern}\n${output}`);
    return value;
  };

  it("serves /healthz and the dashboard", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<div id=");
  });

  it("prints an admin login that works and an API token that reads the API", async () => {
    const password = printed(/password:\s+(\S+)/);
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    expect(login.status).toBe(200);
    const token = printed(/API token\s+(\S+)/);
    const projects = await fetch(`${url}/api/v1/projects`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await projects.json()) as { items: { id: string }[] };
    expect(body.items.map((project) => project.id)).toContain(printed(/track\(server, "([^"]+)"/));
  });

  it("the project and user commands work on the same data", async () => {
    const data = ["--data-dir", join(dir, "data")];
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [cli, ...args, ...data], { encoding: "utf8" });
    const created = run("project", "create", "Docs project");
    const projectId = created.match(/(proj_\w+)/)?.[1] ?? "";
    expect(projectId).not.toBe("");
    expect(run("project", "list")).toContain(projectId);
    const events = [
      {
        id: "evt_docs_1",
        projectId,
        sessionId: "ses_docs",
        eventType: "mcp:tools/call",
        timestamp: new Date().toISOString(),
        resourceName: "search",
        identifyActorGivenId: "u_docs",
        identifyActorName: "Docs User",
      },
    ];
    const ingest = await fetch(`${url}/v1/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    expect(ingest.status).toBe(200);
    // Queries read what the derivation pass has derived: wait until nothing is pending.
    for (;;) {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { derivation: { pending: number } };
      if (health.derivation.pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const token = printed(/API token\s+(\S+)/);
    const user = () =>
      fetch(`${url}/api/v1/projects/${projectId}/users/u_docs`, {
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await user()).status).toBe(200);
    run("user", "delete", projectId, "u_docs");
    expect((await user()).status).toBe(404);
  });
});
