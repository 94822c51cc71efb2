import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@mcpsight/source"] },
  ssr: { resolve: { conditions: ["@mcpsight/source"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "examples/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
