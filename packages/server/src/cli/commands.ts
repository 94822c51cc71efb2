import { parseArgs } from "node:util";
import { DEFAULT_INGEST_MEMORY_MB } from "../app.js";
import { startServer } from "../server.js";
import { createProject } from "../services/projects.js";
import { dataDirFrom, fromEnv, STORAGE_OPTIONS, storageFrom, UsageError } from "./common.js";
import { logLevel, option, port, publicUrl, type Setting, wholeNumber } from "./options.js";
import { out, snippetsText, startBanner } from "./print.js";

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
  --retention-days <n>    delete events older than this many days, at least 1 (env
                          MCPSIGHT_RETENTION_DAYS, default 90)
  --public-url <url>      the collector's http(s) URL as clients reach it: shown in snippets, and
                          an origin the dashboard may call the API from (env MCPSIGHT_PUBLIC_URL;
                          default: from requests)
  --trust-proxy           behind a reverse proxy: trust its X-Forwarded-For/-Proto/-Host
                          (env MCPSIGHT_TRUST_PROXY=1); the client's address is the one the
                          proxy saw (right-most X-Forwarded-For entry), used for login limits
  --proxy-hops <n>        how many proxies are chained in front (env MCPSIGHT_PROXY_HOPS;
                          default 1; implies --trust-proxy)
  --log-level <level>     fatal, error, warn, info, debug, trace or silent (env
                          MCPSIGHT_LOG_LEVEL, default info)
  --ingest-memory-mb <n>  memory ingest requests in flight may hold, in MiB (env
                          MCPSIGHT_INGEST_MEMORY_MB, default 256); beyond it ingest answers 503
                          with Retry-After

Environment: MCPSIGHT_ADMIN_PASSWORD and MCPSIGHT_ADMIN_TOKEN set the admin's password and API
token (on first start, or to reset them on any later start: a changed password ends every
admin login). An empty MCPSIGHT_* variable counts as unset.`,
  project: `Usage:
  mcpsight project create <name> [--port <n> | --public-url <url>]
                                 [--data-dir <dir>] [--database-url <url>]
  mcpsight project list [--data-dir <dir>] [--database-url <url>]

"create" prints the project's id and track() snippets that send to the collector at
--public-url <url> (env MCPSIGHT_PUBLIC_URL), else at http://127.0.0.1:<port>, where --port <n>
is the collector's port (env MCPSIGHT_PORT, default 4747), as for \`mcpsight start\`.`,
  user: `Usage: mcpsight user delete <projectId> <userId> [--data-dir <dir>] [--database-url <url>]

Erases the user's identity, sessions and events (and their share of aggregates).`,
};

/** Proxies trusted in front: --proxy-hops (or its variable) implies --trust-proxy. */
function trustedProxies(flag: boolean | undefined, hops: Setting | undefined): number {
  if (hops) return wholeNumber(hops, "proxies chained in front", 1);
  return (flag ?? fromEnv("MCPSIGHT_TRUST_PROXY") === "1") ? 1 : 0;
}

/** 0.0.0.0 and :: listen on every interface, but no client can send to them. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::"]);

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
  // Every option is checked before anything is opened or listened on.
  const retention = option(values, "retention-days", "MCPSIGHT_RETENTION_DAYS");
  const memory = option(values, "ingest-memory-mb", "MCPSIGHT_INGEST_MEMORY_MB");
  const config = {
    port: port(option(values, "port", "MCPSIGHT_PORT"), true),
    host: values.host ?? fromEnv("MCPSIGHT_HOST") ?? "127.0.0.1",
    dataDir: dataDirFrom(values),
    databaseUrl: values["database-url"] ?? fromEnv("MCPSIGHT_DATABASE_URL"),
    retentionDays: retention ? wholeNumber(retention, "days of events to keep", 1) : 90,
    publicUrl: publicUrl(option(values, "public-url", "MCPSIGHT_PUBLIC_URL")),
    adminPassword: fromEnv("MCPSIGHT_ADMIN_PASSWORD"),
    adminToken: fromEnv("MCPSIGHT_ADMIN_TOKEN"),
    trustProxy: trustedProxies(values["trust-proxy"], option(values, "proxy-hops", "MCPSIGHT_PROXY_HOPS")),
    logLevel: logLevel(option(values, "log-level", "MCPSIGHT_LOG_LEVEL")),
    ingestMemoryMb: memory
      ? wholeNumber(memory, "MiB ingest requests in flight may hold", 1)
      : DEFAULT_INGEST_MEMORY_MB,
  };
  const server = await startServer(config);
  // What clients send to: the public URL, else a wildcard host's loopback address.
  const wildcard = WILDCARD_HOSTS.has(config.host);
  const clientUrl =
    config.publicUrl ?? (wildcard ? `http://127.0.0.1:${new URL(server.url).port}` : server.url);
  out(
    startBanner({
      listening: wildcard ? `${server.url} (all interfaces)` : server.url,
      url: clientUrl,
      first: server.bootstrap,
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
    }),
  );
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

/** Where `project create`'s snippets send: the public URL, else the collector's port on this machine. */
function snippetsUrl(values: Record<string, string | boolean | undefined>): string {
  const given = publicUrl(option(values, "public-url", "MCPSIGHT_PUBLIC_URL"));
  return given ?? `http://127.0.0.1:${port(option(values, "port", "MCPSIGHT_PORT"), false)}`;
}

export async function project(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...STORAGE_OPTIONS, port: { type: "string" }, "public-url": { type: "string" } },
    allowPositionals: true,
  });
  const [action, ...rest] = positionals;
  if (values.help || !action) return out(HELP.project);
  // Checked before the database opens.
  const url = action === "create" ? snippetsUrl(values) : "";
  const storage = await storageFrom(values);
  try {
    if (action === "create") {
      const name = rest.join(" ").trim();
      if (!name) throw new UsageError("project create needs a name: mcpsight project create <name>");
      const created = await createProject(storage, name);
      out(`Created project "${created.name}": ${created.id}\n\n${snippetsText(created.id, url)}\n`);
      out(
        `The snippets send events to ${url}; for a collector elsewhere, run this command with --public-url <url> (or --port <n>), or set apiBaseUrl in the snippet.`,
      );
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
