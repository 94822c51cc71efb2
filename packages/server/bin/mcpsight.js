#!/usr/bin/env node
// The `mcpsight` command. npm links a package's commands before its `prepare` script builds
// dist/, and skips a command whose file is missing, so the command is this committed file, which
// loads the built CLI (`npm run build`, which `npm install` runs).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (existsSync(cli)) await import(cli.href);
else {
  console.error("mcpsight: the collector is not built yet; run `npm run build` in the mcpsight repository.");
  process.exitCode = 1;
}
