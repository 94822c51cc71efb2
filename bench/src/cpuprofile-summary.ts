// Summarises a .cpuprofile: self time per function (and per file), largest first.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const file = process.argv[2];
if (!file) throw new Error("usage: cpuprofile-summary <file.cpuprofile> [rows]");
const rows = Number(process.argv[3] ?? "30");
const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[] };

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  total += hits;
  const { functionName, url, lineNumber } = node.callFrame;
  const shortUrl = url
    .replace(/^.*\/node_modules\//, "~/")
    .replace(/^file:\/\/.*\/(packages|bench)\//, "$1/");
  const key = `${functionName || "(anonymous)"} ${shortUrl}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  byFile.set(shortUrl || "(native)", (byFile.get(shortUrl || "(native)") ?? 0) + hits);
}

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
print("self time by function", byFunction);
print("self time by file", byFile);
