import { defineConfig } from "tsup";

// The protocol package is bundled (constants only), so the published SDK has no runtime
// dependencies of its own.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: { resolve: true },
  tsconfig: "tsconfig.build.json",
  noExternal: ["@mcpsight/protocol"],
  clean: true,
  silent: true,
  target: "node20",
});
