// `npm run demo`: starts mcpsight (collector + dashboard) with a "Demo" project and drives the
// example servers with real MCP clients: identified users with names and userData, anonymous
// sessions, a stateless server, tool errors, agent intents and missing-tool reports, from several
// clients. Everything listens on 127.0.0.1 only.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ConnectedClient, connectHttp, connectStdio } from "./clients.js";
import {
  buildGoExamples,
  EXAMPLES_DIR,
  type HttpExample,
  type HttpExampleProcess,
  pythonInterpreter,
  removeGoExamples,
  startHttpExample,
} from "./launch.js";
import { DEMO_PROJECT_NAME, type DemoPlatform, startPlatform } from "./platform.js";
import {
  PERSONAS,
  type Persona,
  type PlannedCall,
  PYTHON_PERSONAS,
  randomCalls,
  tourCalls,
  withPersonaArgs,
} from "./scenarios.js";

const HELP = `Usage: npm run demo -- [options]

Options:
  --duration <time>   how long to generate traffic: 90s, 2m, 500ms or seconds (default 60s)
  --port <n>          collector and dashboard port (default 4747; 0 = any free port)
  --data-dir <dir>    data directory (default examples/.mcpsight-demo)
  --exit              exit when the traffic ends instead of keeping the dashboard up
  -h, --help          this help

Environment: MCPSIGHT_ADMIN_PASSWORD (default "mcpsight-demo"), MCPSIGHT_ADMIN_TOKEN,
MCPSIGHT_DEMO_PYTHON (a Python with mcpsight and mcp for the Python examples; default: the
environment sdks/python/scripts/test.sh --setup makes, else they are left out).`;

const CONCURRENCY = 3;

const write = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** "90s", "2m", "500ms", "45" (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`--duration must look like 60s, 2m, 500ms or 45; got "${text}"`);
  const unit = match[2] ?? "s";
  return Number(match[1]) * (unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000);
}

/** A small seeded generator, so each run's traffic is varied but reproducible per seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Totals {
  sessions: number;
  calls: number;
  errors: number;
  failures: number;
}

/** One session: connect, list tools (so agents see the context argument), make the calls, leave. */
async function runSession(
  who: Persona,
  calls: PlannedCall[],
  platform: DemoPlatform,
  http: Map<HttpExample, HttpExampleProcess>,
  totals: Totals,
  random: () => number,
): Promise<void> {
  const started = Date.now();
  let connected: ConnectedClient | undefined;
  let errors = 0;
  try {
    const server = http.get(who.example as HttpExample);
    connected = server
      ? await connectHttp(server.url, who.client, who.headers)
      : await connectStdio(who.example as Exclude<Persona["example"], HttpExample>, platform, who.client);
    await connected.client.listTools();
    for (const call of calls) {
      const result = await connected.client.callTool(withPersonaArgs(call, who));
      if (result.isError) errors++;
      await sleep(50 + random() * 250);
    }
    totals.sessions++;
    totals.calls += calls.length;
    totals.errors += errors;
    const name = who.user?.name ?? "anonymous";
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    write(
      `  ${name.padEnd(18)} ${who.client.name.padEnd(19)} → ${who.example.padEnd(22)} ` +
        `${calls.length} calls${errors ? `, ${errors} failed` : ""} (${seconds}s)${who.note ? `  ${who.note}` : ""}`,
    );
  } catch (error) {
    totals.failures++;
    const stderr = connected?.stderr().trim();
    console.error(`  session on ${who.example} failed: ${String(error)}${stderr ? `\n${stderr}` : ""}`);
  } finally {
    await connected?.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "60s" },
      port: { type: "string", default: "4747" },
      "data-dir": { type: "string" },
      exit: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return write(HELP);
  const durationMs = parseDuration(values.duration);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0–65535`);
  const dataDir = resolve(values["data-dir"] ?? resolve(EXAMPLES_DIR, ".mcpsight-demo"));

  const platform = await startPlatform({ port, dataDir });
  // A link to the Demo project itself: the dashboard opens on the first project, which is the
  // collector's empty default project.
  const dashboard = `${platform.url}/#/p/${encodeURIComponent(platform.projectId)}/overview`;
  write(`\n  mcpsight demo — dashboard: ${dashboard}  (project "${DEMO_PROJECT_NAME}")`);
  write(`  Log in as admin / ${platform.password}`);
  write(`  Data: ${dataDir}`);
  if (!platform.dashboard)
    write("  (The dashboard is not built yet: run `npm run build`; the API works meanwhile.)");

  let stopping = false;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    stopping = true;
    write("\n  Stopping: finishing the sessions in progress…");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const python = pythonInterpreter();
  const go = await buildGoExamples();
  if (!go.ok) write(`  (Go example skipped: ${go.reason})`);
  const personas = [...PERSONAS, ...(python ? PYTHON_PERSONAS : [])].filter(
    (who) => go.ok || !who.example.startsWith("go-"),
  );
  const http = new Map<HttpExample, HttpExampleProcess>();
  const httpExamples: HttpExample[] = [
    "api-key",
    "mcp-auth",
    ...(python ? (["python/api_key"] as const) : []),
  ];
  for (const name of httpExamples) http.set(name, await startHttpExample(name, platform));
  write(
    `  Example servers: api-key ${http.get("api-key")?.url} (stateless), mcp-auth ${http.get("mcp-auth")?.url}`,
  );
  write(
    python
      ? `  Python examples with ${python}: basic, anonymous (stdio), api_key ${http.get("python/api_key")?.url} (stateless)`
      : "  Python examples left out: no Python environment (run sdks/python/scripts/test.sh --setup, or set MCPSIGHT_DEMO_PYTHON)",
  );
  write(`  Generating traffic for ${(durationMs / 1000).toFixed(0)}s (Ctrl-C stops it)…\n`);

  const random = mulberry32(Date.now());
  const totals: Totals = { sessions: 0, calls: 0, errors: 0, failures: 0 };
  // First round: every persona once with every kind of call. Then random sessions until the end.
  const tour = personas.map((who) => ({ who, calls: tourCalls(random) }));
  const deadline = Date.now() + durationMs;
  const next = (): { who: Persona; calls: PlannedCall[] } | undefined => {
    if (stopping) return undefined;
    const planned = tour.shift();
    if (planned) return planned;
    if (Date.now() >= deadline) return undefined;
    return { who: personas[Math.floor(random() * personas.length)] as Persona, calls: randomCalls(random) };
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let planned = next(); planned; planned = next()) {
        await runSession(planned.who, planned.calls, platform, http, totals, random);
      }
    }),
  );
  // HTTP examples send their last events on the way out (stdio ones did when their client left).
  await Promise.all([...http.values()].map((server) => server.stop()));
  removeGoExamples();

  write(
    `\n  Done: ${totals.sessions} sessions, ${totals.calls} tool calls, ${totals.errors} tool errors` +
      `${totals.failures ? `, ${totals.failures} sessions failed` : ""}.`,
  );
  write(`  Open ${dashboard} and log in as admin / ${platform.password} (project "${DEMO_PROJECT_NAME}").`);
  if (values.exit || interrupted) {
    await platform.close();
    return;
  }
  write("  The dashboard stays up; press Ctrl-C to stop.");
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  const stop = () => void platform.close().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
