import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { buildApp, DEFAULT_INGEST_MEMORY_MB } from "./app.js";
import { type BootstrapResult, bootstrap } from "./services/bootstrap.js";
import { openStorage, type Storage } from "./storage/index.js";
import { DAY_MS, HOUR_MS } from "./storage/time.js";

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string | undefined;
  retentionDays: number;
  publicUrl?: string | undefined;
  adminPassword?: string | undefined;
  adminToken?: string | undefined;
  dashboardDir?: string | null | undefined;
  /** Reverse proxies in front whose X-Forwarded-* headers count: true = one. */
  trustProxy?: boolean | number;
  logLevel?: string;
  /** Memory ingest requests in flight may hold, in MiB (default 256). */
  ingestMemoryMb?: number | undefined;
}

export interface RunningServer {
  app: FastifyInstance;
  storage: Storage;
  url: string;
  bootstrap: BootstrapResult;
  /** Stops accepting, lets in-flight requests finish, stops retention, closes the database. */
  close(): Promise<void>;
}

/** The dashboard's build output, next to this package in the monorepo. */
export function defaultDashboardDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidate = resolve(here, "../../dashboard/dist");
  return existsSync(join(candidate, "index.html")) ? candidate : null;
}

/** The collector could not listen on its host and port; the message says why and what to change. */
export class ListenError extends Error {}

/** The collector's port is taken; nothing was opened or set up. */
export class PortInUseError extends ListenError {}

/** Why the collector could not listen, in terms of --host and --port; other errors as they are. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== "string") return error;
  if (code === "EADDRINUSE")
    return new PortInUseError(
      `port ${port} on ${host} is already in use: stop what listens there, or choose another port with --port <n> (npm start -- --port <n>, npm run demo -- --port <n>).`,
    );
  const chooseHost =
    "choose one of this machine's addresses with --host <addr>, such as 127.0.0.1, or 0.0.0.0 for every interface";
  const reason =
    code === "ENOTFOUND" || code === "EAI_AGAIN"
      ? `"${host}" is neither an IP address nor a host name that resolves (${code}); ${chooseHost}.`
      : code === "EADDRNOTAVAIL"
        ? `${host} is not an address of this machine (${code}); ${chooseHost}.`
        : code === "EACCES"
          ? `permission denied (${code}: ports below 1024 need privileges); choose another port with --port <n>.`
          : (error as Error).message;
  return new ListenError(`could not listen on ${host} port ${port}: ${reason}`, { cause: error });
}

/**
 * Fails while nothing is set up yet when the collector cannot listen (port taken, no such host):
 * a first start that got no further than its setup would have generated an admin password that no
 * banner ever showed. Port 0 is probed too, for the host.
 */
async function assertCanListen(host: string, port: number): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
    });
  } catch (error) {
    throw listenError(error, host, port);
  }
}

/** Opens storage, bootstraps on first start, listens, and runs retention in the background. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  await assertCanListen(config.host, config.port);
  const notices: string[] = [];
  const storage = await openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    onNotice: (notice) => notices.push(notice),
  });
  const first = await bootstrap(storage, {
    adminPassword: config.adminPassword,
    adminToken: config.adminToken,
  });
  const health = { draining: false };
  const app = await buildApp({
    storage,
    health,
    logger: { level: config.logLevel ?? "info", stream: process.stderr },
    publicUrl: config.publicUrl,
    dashboardDir: config.dashboardDir === undefined ? defaultDashboardDir() : config.dashboardDir,
    trustProxy: config.trustProxy ?? false,
    retentionDays: config.retentionDays,
    ingestMemoryBytes: (config.ingestMemoryMb ?? DEFAULT_INGEST_MEMORY_MB) * 1024 * 1024,
  });
  for (const notice of notices)
    app.log.warn(`${notice}: the database holds every event and the password and token hashes`);
  if (first.passwordReset)
    app.log.warn("the admin password was reset from MCPSIGHT_ADMIN_PASSWORD; every admin login was ended");
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    await storage.close();
    throw listenError(error, config.host, config.port);
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;

  let retentionRun: Promise<unknown> = Promise.resolve();
  const runRetention = () => {
    retentionRun = storage
      .deleteOlderThan(Date.now() - config.retentionDays * DAY_MS)
      .then((result) => app.log.info({ ...result, retentionDays: config.retentionDays }, "retention applied"))
      .catch((error: unknown) => app.log.error({ err: error }, "retention failed"));
  };
  const firstRun = setTimeout(runRetention, 10_000);
  const timer = setInterval(runRetention, HOUR_MS);
  firstRun.unref();
  timer.unref();

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      health.draining = true;
      clearTimeout(firstRun);
      clearInterval(timer);
      await app.close();
      await retentionRun;
      await storage.close();
    })();
    return closing;
  };
  return { app, storage, url, bootstrap: first, close };
}
