import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/cli.ts", "src/index.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  tsconfig: "tsconfig.build.json",
  noExternal: ["@mcpsight/protocol"],
  clean: true,
  silent: true,
  target: "node20",
});
