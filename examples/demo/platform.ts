// The demo's mcpsight platform: the collector with the dashboard, in this process, over its own
// data directory, with a "Demo" project kept apart from real ones.
import { randomBytes } from "node:crypto";
import { type RunningServer, startServer } from "@mcpsight/server";

export const DEMO_PROJECT_NAME = "Demo";
/** The demo's admin password unless MCPSIGHT_ADMIN_PASSWORD says otherwise; it only listens on 127.0.0.1. */
export const DEMO_PASSWORD = "mcpsight-demo";

export interface DemoPlatform {
  url: string;
  projectId: string;
  password: string;
  /** Whether the dashboard's built files are being served at `url`. */
  dashboard: boolean;
  close(): Promise<void>;
}

/** A project id in the collector's format: `proj_` + 12 base-32 characters. */
function newProjectId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return `proj_${[...randomBytes(12)].map((b) => alphabet[b % 32]).join("")}`;
}

export async function startPlatform(options: { port: number; dataDir: string }): Promise<DemoPlatform> {
  const password = process.env.MCPSIGHT_ADMIN_PASSWORD || DEMO_PASSWORD;
  let server: RunningServer;
  try {
    server = await startServer({
      port: options.port,
      host: "127.0.0.1",
      dataDir: options.dataDir,
      retentionDays: 90,
      adminPassword: password,
      adminToken: process.env.MCPSIGHT_ADMIN_TOKEN || undefined,
      logLevel: process.env.MCPSIGHT_LOG_LEVEL ?? "warn",
    });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new Error(
        `Port ${options.port} is in use (is a collector already running?). Pass another one: npm run demo -- --port 4748`,
      );
    }
    throw error;
  }
  const projects = await server.storage.listProjects();
  const project =
    projects.find((p) => p.name === DEMO_PROJECT_NAME) ??
    (await server.storage.createProject({ id: newProjectId(), name: DEMO_PROJECT_NAME }));
  const home = await fetch(`${server.url}/`).catch(() => undefined);
  return {
    url: server.url,
    projectId: project.id,
    password,
    dashboard: home?.headers.get("content-type")?.includes("text/html") ?? false,
    close: () => server.close(),
  };
}
