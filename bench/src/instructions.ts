// `npm run instructions:sdk`: instructions per tools/call, counted by valgrind (callgrind), for the
// untracked and the mcpsight loop. Wall and CPU time swing with the machine's load; instruction
// counts barely move, so this is the before/after figure to trust on a shared machine. Each
// variant runs twice (a short and a long loop) and the difference is divided by the extra calls,
// so start-up, JIT warm-up and the final flush cancel out. Slow: valgrind runs Node ~50× slower.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const short = Number(process.argv[2] ?? "500");
const long = Number(process.argv[3] ?? "2500");
const variants = ["untracked", "mcpsight"] as const;
const script = fileURLToPath(new URL("./profile-call.ts", import.meta.url));

function instructions(variant: string, calls: number): number {
  const run = spawnSync(
    "valgrind",
    [
      "--tool=callgrind",
      "--smc-check=all-non-file", // V8 writes and rewrites machine code
      "--callgrind-out-file=/dev/null",
      process.execPath,
      "--import",
      "tsx",
      script,
      variant,
      String(calls),
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const match = /Collected : (\d+)/.exec(run.stderr);
  if (!match) throw new Error(`valgrind failed for ${variant} × ${calls}:\n${run.stderr.slice(-2000)}`);
  return Number(match[1]);
}

const perCall = new Map<string, number>();
for (const variant of variants) {
  const a = instructions(variant, short);
  const b = instructions(variant, long);
  perCall.set(variant, (b - a) / (long - short));
  process.stderr.write(`${variant}: ${a} (${short} calls), ${b} (${long} calls)\n`);
}
const base = perCall.get("untracked") as number;
const lines = [
  "| variant | instructions per call | ratio | added by tracking |",
  "| --- | ---: | ---: | ---: |",
];
for (const [variant, value] of perCall) {
  lines.push(
    `| ${variant} | ${Math.round(value).toLocaleString("en")} | ${(value / base).toFixed(3)} | ${Math.round(value - base).toLocaleString("en")} |`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
