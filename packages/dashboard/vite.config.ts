import { defineConfig } from "vite";

/** The collector serves the built files at `/` and the query API under `/api/v1` on the same origin. */
export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", target: "es2022", sourcemap: false, chunkSizeWarningLimit: 200 },
  server: {
    proxy: {
      "/api": { target: process.env.MCPSIGHT_URL ?? "http://127.0.0.1:4747", changeOrigin: false },
    },
  },
});
