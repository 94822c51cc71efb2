import { defineConfig } from "tsup";

export default defineConfig({
  // The collector's threads are loaded by file name (shared/worker-entry.ts), so each is an entry
  // of its own next to the bundle: SQLite's ingest writer and PostgreSQL's derivation pass.
  entry: {
    cli: "src/cli.ts",
    index: "src/index.ts",
    "writer-worker": "src/storage/sqlite/writer/worker.ts",
    "pass-worker": "src/storage/postgres/derive/pass-worker.ts",
  },
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  tsconfig: "tsconfig.build.json",
  noExternal: ["@mcpsight/protocol"],
  clean: true,
  silent: true,
  target: "node20",
});
