/**
 * A collector in its own process for the ingest benchmark, so the benchmark's HTTP client does
 * not share the collector's thread (as in a deployment, where SDKs run elsewhere). Prints one JSON
 * line {url, projectId} when listening; closes on SIGTERM.
 * Usage: node --conditions=@mcpsight/source --import tsx collector-server.ts <data-dir> [port]
 * (port 0, the default, picks a free one; the outage benchmark restarts on the port it got.)
 */
import { startServer } from "@mcpsight/server";

const server = await startServer({
  port: Number(process.argv[3] ?? 0),
  host: "127.0.0.1",
  dataDir: process.argv[2] ?? ".tmp/collector",
  retentionDays: 3650,
  dashboardDir: null,
  logLevel: "warn",
  adminPassword: "bench",
  adminToken: "msk_bench",
});
// A fixed project id, so every round's collector accepts the same batches.
const projectId = "proj_bench";
if (!(await server.storage.getProject(projectId)))
  await server.storage.createProject({ id: projectId, name: "Bench" });
process.stdout.write(`${JSON.stringify({ url: server.url, projectId })}\n`);
process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
