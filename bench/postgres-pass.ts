/**
 * CPU cost of the PostgreSQL derivation pass per derived event: a version (this checkout as it
 * is, or `--new <ref>`) against a baseline (`--base <ref>`, default main; or `--base-root <dir>`,
 * another checkout). Refs are extracted into bench/.tmp. Each version gets its own schema with the
 * same `--events` events stored (the data of postgres-ingest.ts). Each of `--rounds` rounds starts
 * one process per version with that version's source (src/pass-child.ts), which empties the
 * derived tables and derives the first quarter unmeasured (the tables then hold rows and
 * statistics, as in a running collector); then the two derive the rest taking turns chunk by chunk
 * (ABBA), so that the machine's load, which drifts, weighs alike on both. Measured: each process's
 * CPU time and that of the PostgreSQL backend serving its pass, per derived event, and the longest
 * the pass held the process's event loop (what a collector's requests would wait meanwhile). Prints
 * each round, the medians, new ÷ base of the medians and the median of each round's ratio.
 * Usage: tsx --conditions=@mcpsight/source postgres-pass.ts [--events 100000] [--rounds 3]
 *   [--base main | --base-root <dir>] [--new <ref>] [--chunk 5000] [--base-chunk <n>]
 *   [--cpu-prof <dir>] [--reuse] [--database-url postgres://…]
 * `--chunk` is the events per chunk (the pass's MAX_CHUNK, what it takes when behind); with
 * `--base-chunk` the baseline takes another (the same version on both sides compares sizes).
 * The database (default: MCPSIGHT_TEST_DATABASE_URL's server, database `mcpsight_bench_pass`) is
 * created when missing. The schemas are dropped at the end, unless `--reuse`: then they are kept,
 * named by version, and a later run with `--reuse` and as many events skips storing them.
 * `--cpu-prof <dir>` profiles the measured part of every run into that directory (the profiler's
 * own cost then weighs on both sides' figures).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { describeMachine } from "./src/machine.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    rounds: { type: "string" },
    chunk: { type: "string" },
    "base-chunk": { type: "string" },
    base: { type: "string" },
    new: { type: "string" },
    "base-root": { type: "string" },
    "cpu-prof": { type: "string" },
    "database-url": { type: "string" },
    reuse: { type: "boolean" },
  },
});
const REUSE = values.reuse ?? false;
const EVENTS = Number(values.events ?? 100_000);
const ROUNDS = Number(values.rounds ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, "..");
const out = (line: string) => process.stdout.write(`${line}\n`);

const databaseUrl = (): string => {
  if (values["database-url"]) return values["database-url"];
  const base = process.env.MCPSIGHT_TEST_DATABASE_URL;
  if (!base) throw new Error("set --database-url or MCPSIGHT_TEST_DATABASE_URL");
  const url = new URL(base);
  url.pathname = "/mcpsight_bench_pass";
  return url.toString();
};
const DATABASE_URL = databaseUrl();

async function ensureDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  await client.end();
}

async function query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Events stored in `schema`, or 0 when it does not exist. */
async function storedEvents(schema: string): Promise<number> {
  const { rowCount } = await query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'events'", [
    schema,
  ]);
  if (!rowCount) return 0;
  return Number((await query(`SELECT count(*) AS n FROM ${schema}.events`)).rows[0]?.n);
}

/** A version's source: `ref` extracted with git archive, inside the checkout (its imports resolve here). */
function extract(ref: string): { root: string; label: string; id: string } {
  const commit = execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim();
  const root = join(here, ".tmp", `pass-${commit}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${commit} packages/server | tar -x -C "${root}"`], { cwd: ROOT });
  return { root, label: `${ref} (${commit})`, id: commit };
}

/** The baseline: `--base-root`, or `--base` (default main) extracted. */
function baseRoot(): { root: string; label: string; id: string } {
  const other = values["base-root"];
  if (other) return { root: resolve(other), label: other, id: "root" };
  return extract(values.base ?? "main");
}

/** The version measured against it: `--new` extracted, or this checkout as it is. */
function newRoot(): { root: string; label: string; id: string } {
  return values.new ? extract(values.new) : { root: ROOT, label: "this checkout", id: "checkout" };
}

const schemaUrl = (schema: string) => {
  const url = new URL(DATABASE_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
};

/** A pass-child process: its JSON replies in order, and a way to send it a line. */
function child(args: string[], profile?: string) {
  const proc = spawn(
    process.execPath,
    ["--conditions=@mcpsight/source", "--import", "tsx", join(here, "src/pass-child.ts"), ...args],
    {
      cwd: here,
      stdio: ["pipe", "pipe", "inherit"],
      env: profile ? { ...process.env, PASS_CPU_PROFILE: profile } : process.env,
    },
  );
  const replies = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolvePromise) => proc.once("exit", resolvePromise));
  return {
    async reply(): Promise<Record<string, number>> {
      const line = await replies.next();
      if (line.done) throw new Error(`pass-child ${args[0]} exited with ${await exited}`);
      return JSON.parse(line.value) as Record<string, number>;
    },
    send(line: string): void {
      proc.stdin.write(`${line}\n`);
    },
    async end(): Promise<Record<string, number>> {
      proc.stdin.end();
      const result = await this.reply();
      if ((await exited) !== 0) throw new Error(`pass-child ${args[0]} failed`);
      return result;
    },
  };
}

/**
 * One round: both versions' processes derive the warm-up, then take turns chunk by chunk (ABBA),
 * so that the machine's load drifts alike for both; each one's totals.
 */
async function round(index: number): Promise<Record<string, number>[]> {
  const dir = values["cpu-prof"];
  if (dir) mkdirSync(dir, { recursive: true });
  const children = variants.map((v) =>
    child(
      ["pass", v.root, schemaUrl(v.schema), String(warm), String(v.chunk)],
      dir ? join(resolve(dir), `pass-${v.name}-${index}.cpuprofile`) : undefined,
    ),
  );
  for (const c of children) await c.reply();
  const pending = new Set(children);
  for (let turn = 0; pending.size > 0; turn++) {
    const order = turn % 2 === 0 ? children : [...children].reverse();
    for (const c of order) {
      if (!pending.has(c)) continue;
      c.send("chunk");
      if ((await c.reply()).derived === 0) pending.delete(c);
    }
  }
  return Promise.all(children.map((c) => c.end()));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

out(describeMachine());
await ensureDatabase();
const base = baseRoot();
const next = newRoot();
const variants = [
  { name: "base", label: base.label, root: base.root, schema: `pass_${base.id}` },
  // The same version on both sides (to see the measurement's own spread) needs two schemas.
  {
    name: "new",
    label: next.label,
    root: next.root,
    schema: `pass_${next.id}${next.id === base.id ? "_b" : ""}`,
  },
]
  .map((v) => ({ ...v, chunk: Number((v.name === "base" && values["base-chunk"]) || values.chunk || 5_000) }))
  .map((v) => (REUSE ? v : { ...v, schema: `${v.schema}_${process.pid}` }));
const warm = Math.floor(EVENTS / 4);
out(`events: ${EVENTS} stored, ${warm} derived unmeasured, ${EVENTS - warm} measured; ${ROUNDS} rounds`);
for (const v of variants) {
  if (REUSE && (await storedEvents(v.schema)) === EVENTS) out(`reused for ${v.name}: ${v.label}`);
  else {
    await child(["setup", v.root, schemaUrl(v.schema), String(EVENTS)]).end();
    out(`stored for ${v.name}: ${v.label}`);
  }
}
const runs = new Map<string, Record<string, number>[]>(variants.map((v) => [v.name, []]));
try {
  for (let i = 0; i < ROUNDS; i++) {
    const results = await round(i);
    variants.forEach((v, j) => {
      const result = results[j] as Record<string, number>;
      runs.get(v.name)?.push(result);
      out(
        `  ${v.name}: node ${result.nodeUs?.toFixed(2)} µs/event, postgres backend ${result.pgUs?.toFixed(2)} µs/event (${result.derived} events, ${result.chunks} chunks; event loop held up to ${result.blockMs?.toFixed(0)} ms)`,
      );
    });
  }
} finally {
  if (!REUSE) for (const v of variants) await query(`DROP SCHEMA IF EXISTS ${v.schema} CASCADE`);
}
const stat = (name: string, key: string) => median((runs.get(name) ?? []).map((r) => r[key] as number));
for (const key of ["nodeUs", "pgUs"]) {
  const [b, n] = [stat("base", key), stat("new", key)];
  out(
    `${key === "nodeUs" ? "node" : "postgres backend"} CPU per event (medians): base ${b.toFixed(2)} µs, new ${n.toFixed(2)} µs, new ÷ base ${(n / b).toFixed(3)}`,
  );
}
const roundRatio = (key: (r: Record<string, number>) => number) =>
  median(
    (runs.get("new") ?? []).map(
      (r, i) => key(r) / key((runs.get("base") ?? [])[i] as Record<string, number>),
    ),
  );
out(
  `median of per-round ratios new ÷ base: node ${roundRatio((r) => r.nodeUs ?? 0).toFixed(3)}, postgres backend ${roundRatio((r) => r.pgUs ?? 0).toFixed(3)}, sum ${roundRatio((r) => (r.nodeUs ?? 0) + (r.pgUs ?? 0)).toFixed(3)}`,
);
out(
  `longest event-loop block (medians): base ${stat("base", "blockMs").toFixed(0)} ms, new ${stat("new", "blockMs").toFixed(0)} ms`,
);
const total = (name: string) => median((runs.get(name) ?? []).map((r) => (r.nodeUs ?? 0) + (r.pgUs ?? 0)));
out(
  `node + backend (median of sums): base ${total("base").toFixed(2)} µs, new ${total("new").toFixed(2)} µs, new ÷ base ${(total("new") / total("base")).toFixed(3)}`,
);
