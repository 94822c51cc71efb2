import { defineConfig } from "tsup";

export default defineConfig({
  // The ingest writer thread is loaded by file name (storage/sqlite/writer/index.ts), so it is an
  // entry of its own next to the bundle: dist/writer-worker.js.
  entry: {
    cli: "src/cli.ts",
    index: "src/index.ts",
    "writer-worker": "src/storage/sqlite/writer/worker.ts",
  },
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  tsconfig: "tsconfig.build.json",
  noExternal: ["@mcpsight/protocol"],
  clean: true,
  silent: true,
  target: "node20",
});
