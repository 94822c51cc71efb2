/**
 * A collector process on PostgreSQL for the PostgreSQL benchmarks. Prints one JSON line
 * {url, projectId} when listening; closes on SIGTERM.
 * Usage: node --conditions=@mcpsight/source --import tsx postgres-server.ts <database-url>
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "@mcpsight/server";

const server = await startServer({
  port: 0,
  host: "127.0.0.1",
  dataDir: mkdtempSync(join(tmpdir(), "mcpsight-bench-pg-")),
  databaseUrl: process.argv[2],
  retentionDays: 3650,
  dashboardDir: null,
  logLevel: "warn",
  adminPassword: "bench",
  adminToken: "msk_bench",
});
const projectId = "proj_bench";
if (!(await server.storage.getProject(projectId)))
  await server.storage.createProject({ id: projectId, name: "Bench" }).catch(() => {});
process.stdout.write(`${JSON.stringify({ url: server.url, projectId })}\n`);
process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
