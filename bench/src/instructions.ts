// `npm run instructions:sdk`: instructions per tools/call, counted by valgrind (callgrind), for the
// untracked and the mcpsight loop. Wall and CPU time swing with the machine's load; instruction
// counts barely move, so this is the before/after figure to trust on a shared machine. Each
// variant runs twice (a short and a long loop) and the difference is divided by the extra calls,
// so start-up, JIT warm-up and the final flush cancel out. Slow: valgrind runs Node ~50× slower.
//
// Two things keep the count independent of how fast the machine happens to be:
// - mcpsight's flush interval is set to an hour, so events go out in full batches (500), as they do
//   in the timed runs (a batch fills in ~0.15 s there). With the default 1 s tick, a call taking
//   ~50× longer under valgrind meant batches of a few events, each paying a whole HTTP request,
//   and how few depended on the machine's load.
// - Instructions are reported for the main thread (what delays the host's requests) and for all
//   threads (adding gzip, which runs on libuv's thread pool, and V8's background compiler and GC).
//
// MCPSIGHT_SDK=/path/to/dist/index.js measures another build of the SDK (e.g. an earlier commit).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const short = Number(process.argv[2] ?? "500");
const long = Number(process.argv[3] ?? "2500");
const variants = (process.argv[4] ?? "untracked,mcpsight").split(",");
const FLUSH_INTERVAL_MS = String(60 * 60_000);
const script = fileURLToPath(new URL("./profile-call.ts", import.meta.url));

interface Count {
  main: number;
  all: number;
}

/** Runs valgrind to the end; resolves with its exit status and stderr. */
function run(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("valgrind", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

async function instructions(variant: string, calls: number): Promise<Count> {
  const dir = mkdtempSync(join(tmpdir(), "mcpsight-callgrind-"));
  try {
    const result = await run([
      "--tool=callgrind",
      "--smc-check=all-non-file", // V8 writes and rewrites machine code
      "--dump-instr=no",
      "--separate-threads=yes",
      `--callgrind-out-file=${join(dir, "cg.out")}`,
      process.execPath,
      "--import",
      "tsx",
      script,
      variant,
      String(calls),
      FLUSH_INTERVAL_MS,
    ]);
    // One file per thread: cg.out-01 is the main thread.
    const files = readdirSync(dir).filter((name) => /^cg\.out-\d+$/.test(name));
    if (result.status !== 0 || files.length === 0) {
      throw new Error(`valgrind failed for ${variant} × ${calls}:\n${result.stderr.slice(-2000)}`);
    }
    // A retried batch would count twice; say so rather than report a skewed figure silently.
    if (/could not deliver/.test(result.stderr)) {
      process.stderr.write(`warning: ${variant} × ${calls} retried a batch; its count includes the retry\n`);
    }
    const count: Count = { main: 0, all: 0 };
    for (const name of files) {
      const totals = /^(?:totals|summary): (\d+)/m.exec(readFileSync(join(dir, name), "utf8"));
      const value = Number(totals?.[1] ?? 0);
      count.all += value;
      if (name === "cg.out-01") count.main = value;
    }
    return count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// All runs at once: the counts do not depend on how busy the CPUs are, only the wall time does.
const counts = await Promise.all(
  variants.map((variant) => Promise.all([instructions(variant, short), instructions(variant, long)])),
);
const perCall = new Map<string, Count>();
for (const [index, variant] of variants.entries()) {
  const [a, b] = counts[index] as [Count, Count];
  const extra = long - short;
  perCall.set(variant, { main: (b.main - a.main) / extra, all: (b.all - a.all) / extra });
  process.stderr.write(
    `${variant}: main thread ${a.main} (${short} calls), ${b.main} (${long} calls); all threads ${a.all}, ${b.all}\n`,
  );
}
const fmt = (value: number) => Math.round(value).toLocaleString("en");
const base = perCall.get("untracked");
const lines = [
  "| variant | main thread per call | ratio | added | all threads per call | ratio | added |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
];
for (const [variant, value] of perCall) {
  const cells = (pick: (count: Count) => number) =>
    base
      ? [fmt(pick(value)), (pick(value) / pick(base)).toFixed(3), fmt(pick(value) - pick(base))]
      : [fmt(pick(value)), "—", "—"];
  lines.push(`| ${variant} | ${[...cells((c) => c.main), ...cells((c) => c.all)].join(" | ")} |`);
}
process.stdout.write(`${lines.join("\n")}\n`);
