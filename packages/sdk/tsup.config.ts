import { defineConfig } from "tsup";

// The protocol package is bundled (constants only), so the published SDK has no runtime
// dependencies of its own. Declarations are not resolved into other packages: the public types are
// the SDK's own (types.ts), and test/package.test.ts fails if the .d.ts ever imports anything.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  tsconfig: "tsconfig.build.json",
  noExternal: ["@mcpsight/protocol"],
  clean: true,
  silent: true,
  target: "node20",
});
