import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sqliteUrlPath } from "../storage/index.js";
import { fromEnv } from "./common.js";
import { out, postgresLocation } from "./print.js";

export const MIGRATE_HELP = `Usage: mcpsight migrate --from sqlite://<path> --to postgres://<user>:<password>@<host>/<db>

Copies an embedded SQLite database (projects, accounts, tokens, users, sessions, events and every
rollup) into an empty PostgreSQL database, in one transaction. Stop the collector first.

Options:
  --from <url>   the SQLite database: sqlite://<file>, sqlite://<data dir>, or a path
                 (default: mcpsight.db in MCPSIGHT_DATA_DIR or ./.mcpsight)
  --to <url>     the PostgreSQL database (default MCPSIGHT_DATABASE_URL); add ?schema=<name> to use
                 a schema other than public

Then start the collector with --database-url <the --to URL>.`;

export class MigrateUsageError extends Error {}

/** A SQLite URL or path to the database file (a data directory means its mcpsight.db). */
function sqlitePath(from: string): string {
  const path = resolve(sqliteUrlPath(from) ?? from);
  return existsSync(path) && statSync(path).isDirectory() ? join(path, "mcpsight.db") : path;
}

export async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { from: { type: "string" }, to: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return out(MIGRATE_HELP);
  const from = sqlitePath(values.from ?? fromEnv("MCPSIGHT_DATA_DIR") ?? ".mcpsight");
  const to = values.to ?? fromEnv("MCPSIGHT_DATABASE_URL");
  if (!to || !/^postgres(ql)?:\/\//.test(to))
    throw new MigrateUsageError(`--to must be a postgres:// URL\n\n${MIGRATE_HELP}`);
  if (!existsSync(from)) throw new MigrateUsageError(`no SQLite database at ${from}`);
  const { copySqliteToPostgres } = await import("../storage/postgres/copy-from-sqlite.js");
  out(`Copying ${from} into ${postgresLocation(to)} …`);
  const started = Date.now();
  let lastLine = 0;
  const counts = await copySqliteToPostgres({
    sqlitePath: from,
    postgresUrl: to,
    onProgress: ({ table, copied, total }) => {
      // One line per table, and every few seconds for large ones.
      if (copied < total && Date.now() - lastLine < 2_000) return;
      lastLine = Date.now();
      out(`  ${table.padEnd(22)} ${copied.toLocaleString("en-US")} / ${total.toLocaleString("en-US")}`);
    },
  });
  const events = counts.events ?? 0;
  out(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${events.toLocaleString("en-US")} events, ${(counts.users ?? 0).toLocaleString("en-US")} users, ${(counts.sessions ?? 0).toLocaleString("en-US")} sessions.\nStart the collector with --database-url pointing at the PostgreSQL database.`,
  );
}
