import { parseArgs } from "node:util";
import { DEFAULT_INGEST_MEMORY_MB } from "../app.js";
import { startServer } from "../server.js";
import { createProject } from "../services/projects.js";
import { dataDirFrom, STORAGE_OPTIONS, storageFrom, UsageError } from "./common.js";
import { out, snippetsText, startBanner } from "./print.js";

const env = process.env;

export const HELP = {
  main: `Usage: mcpsight <command> [options]

Commands:
  start                              run the collector (ingest, query API, dashboard)
  project create <name>              create a project; print its id and track() snippets
  project list                       list projects
  user delete <projectId> <userId>   erase a user: identity, sessions and events
  member add|list|remove …           who may read a project, as viewer or admin
  token create|list|revoke …         read-only API tokens for one project
  account list|password …            accounts, and setting a password (ends its logins)
  migrate --from sqlite://… --to postgres://…
                                     copy an embedded database into PostgreSQL
  reindex                            rebuild users, sessions and rollups from the stored events

Run "mcpsight <command> --help" for a command's options.`,
  start: `Usage: mcpsight start [options]

Options:
  --port <n>              port (env MCPSIGHT_PORT, default 4747; 0 = any free port)
  --host <addr>           interface (env MCPSIGHT_HOST, default 127.0.0.1)
  --data-dir <dir>        data directory (env MCPSIGHT_DATA_DIR, default ./.mcpsight)
  --database-url <url>    postgres://user:password@host/db to use PostgreSQL (env
                          MCPSIGHT_DATABASE_URL; default: SQLite in the data directory)
  --retention-days <n>    delete events older than this (env MCPSIGHT_RETENTION_DAYS, default 90)
  --public-url <url>      URL shown in snippets, and an origin the dashboard may call the API
                          from (env MCPSIGHT_PUBLIC_URL; default: from requests)
  --trust-proxy           behind a reverse proxy: trust its X-Forwarded-For/-Proto/-Host
                          (env MCPSIGHT_TRUST_PROXY=1); the client's address is the one the
                          proxy saw (right-most X-Forwarded-For entry), used for login limits
  --proxy-hops <n>        how many proxies are chained in front (env MCPSIGHT_PROXY_HOPS;
                          default 1; implies --trust-proxy)
  --log-level <level>     pino level (env MCPSIGHT_LOG_LEVEL, default info)
  --ingest-memory-mb <n>  memory ingest requests in flight may hold, in MiB (env
                          MCPSIGHT_INGEST_MEMORY_MB, default 256); beyond it ingest answers 503
                          with Retry-After

Environment: MCPSIGHT_ADMIN_PASSWORD and MCPSIGHT_ADMIN_TOKEN set the admin's password and API
token (on first start, or to reset them on any later start: a changed password ends every
admin login).`,
  project: `Usage:
  mcpsight project create <name> [--data-dir <dir>] [--database-url <url>]
  mcpsight project list [--data-dir <dir>] [--database-url <url>]`,
  user: `Usage: mcpsight user delete <projectId> <userId> [--data-dir <dir>] [--database-url <url>]

Erases the user's identity, sessions and events (and their share of aggregates).`,
};

function integer(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function positive(name: string, value: string): number {
  const n = integer(name, value);
  if (n === 0) throw new UsageError(`--${name} must be at least 1, got "${value}"`);
  return n;
}

/** Proxies trusted in front: --proxy-hops (or its variable) implies --trust-proxy. */
function trustedProxies(flag: boolean | undefined, hops: string | undefined): number {
  if (hops !== undefined) return positive("proxy-hops", hops);
  return (flag ?? env.MCPSIGHT_TRUST_PROXY === "1") ? 1 : 0;
}

export async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...STORAGE_OPTIONS,
      port: { type: "string" },
      host: { type: "string" },
      "retention-days": { type: "string" },
      "public-url": { type: "string" },
      "trust-proxy": { type: "boolean" },
      "proxy-hops": { type: "string" },
      "log-level": { type: "string" },
      "ingest-memory-mb": { type: "string" },
    },
  });
  if (values.help) return out(HELP.start);
  const dataDir = dataDirFrom(values);
  const databaseUrl = values["database-url"] ?? env.MCPSIGHT_DATABASE_URL;
  const server = await startServer({
    port: integer("port", values.port ?? env.MCPSIGHT_PORT ?? "4747"),
    host: values.host ?? env.MCPSIGHT_HOST ?? "127.0.0.1",
    dataDir,
    databaseUrl,
    retentionDays: integer("retention-days", values["retention-days"] ?? env.MCPSIGHT_RETENTION_DAYS ?? "90"),
    publicUrl: values["public-url"] ?? env.MCPSIGHT_PUBLIC_URL,
    adminPassword: env.MCPSIGHT_ADMIN_PASSWORD || undefined,
    adminToken: env.MCPSIGHT_ADMIN_TOKEN || undefined,
    trustProxy: trustedProxies(values["trust-proxy"], values["proxy-hops"] ?? env.MCPSIGHT_PROXY_HOPS),
    logLevel: values["log-level"] ?? env.MCPSIGHT_LOG_LEVEL ?? "info",
    ingestMemoryMb: positive(
      "ingest-memory-mb",
      values["ingest-memory-mb"] ?? env.MCPSIGHT_INGEST_MEMORY_MB ?? String(DEFAULT_INGEST_MEMORY_MB),
    ),
  });
  out(startBanner(server.url, server.bootstrap, dataDir, databaseUrl));
  const shutdown = (signal: string) => {
    server.app.log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

export async function project(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: STORAGE_OPTIONS, allowPositionals: true });
  const [action, ...rest] = positionals;
  if (values.help || !action) return out(HELP.project);
  const storage = await storageFrom(values);
  try {
    if (action === "create") {
      const name = rest.join(" ").trim();
      if (!name) throw new UsageError("project create needs a name: mcpsight project create <name>");
      const created = await createProject(storage, name);
      const url = env.MCPSIGHT_PUBLIC_URL ?? `http://127.0.0.1:${env.MCPSIGHT_PORT ?? 4747}`;
      out(`Created project "${created.name}": ${created.id}\n\n${snippetsText(created.id, url)}\n`);
    } else if (action === "list") {
      const projects = await storage.listProjects();
      for (const p of projects)
        out(`${p.id}\t${p.name}\tcreated ${p.createdAt}\tlast event ${p.lastEventAt ?? "-"}`);
      if (projects.length === 0)
        out("No projects yet. Run `mcpsight start` or `mcpsight project create <name>`.");
    } else throw new UsageError(`unknown project command "${action}"\n\n${HELP.project}`);
  } finally {
    await storage.close();
  }
}

export async function user(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: STORAGE_OPTIONS, allowPositionals: true });
  const [action, projectId, userId] = positionals;
  if (values.help || !action) return out(HELP.user);
  if (action !== "delete" || !projectId || !userId) throw new UsageError(HELP.user);
  const storage = await storageFrom(values);
  try {
    if (!(await storage.getProject(projectId)))
      throw new UsageError(`Project "${projectId}" does not exist.`);
    const result = await storage.deleteUser(projectId, userId);
    if (!result) throw new UsageError(`No user "${userId}" in project "${projectId}".`);
    out(`Erased user "${userId}": ${result.sessions} session(s), ${result.events} event(s).`);
  } finally {
    await storage.close();
  }
}
