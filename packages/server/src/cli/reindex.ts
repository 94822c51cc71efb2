import { parseArgs } from "node:util";
import { STORAGE_OPTIONS, storageFrom } from "./common.js";
import { out } from "./print.js";

export const REINDEX_HELP = `Usage: mcpsight reindex [--data-dir <dir>] [--database-url <url>] [--restart]

Rebuilds every derived table (users, sessions, rollups, error groups) from the stored events,
with the current derivation rules. Online: collectors keep ingesting and answering meanwhile (the
dashboard shows the rebuilt part and says how far behind it is). Resumable: run it again after an
interruption and it continues where it stopped; a running collector also continues it.

Options:
  --data-dir <dir>       data directory (env MCPSIGHT_DATA_DIR, default ./.mcpsight)
  --database-url <url>   postgres://… (env MCPSIGHT_DATABASE_URL; default: SQLite in the data dir)
  --restart              start over even if a rebuild is in progress`;

/** `mcpsight reindex`: resets the derived tables (or resumes), then shows progress until done. */
export async function reindexCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...STORAGE_OPTIONS, restart: { type: "boolean" } },
  });
  if (values.help) return out(REINDEX_HELP);
  // This process runs the pass too (with a collector on PostgreSQL, whichever holds the lock).
  const storage = await storageFrom(values, true);
  try {
    const started = Date.now();
    const { resumed, total } = await storage.reindex({ restart: values.restart ?? false });
    out(
      resumed
        ? `Resuming the rebuild of the derived tables (${total.toLocaleString("en-US")} events when it started).`
        : `Rebuilding the derived tables from ${total.toLocaleString("en-US")} stored events.`,
    );
    let last = "";
    for (;;) {
      const status = await storage.getDerivationStatus();
      if (status.reindex === null) break;
      const line = `  ${status.reindex.done.toLocaleString("en-US")} / ${status.reindex.total.toLocaleString("en-US")} events`;
      if (line !== last) out(line);
      last = line;
      if (status.lastError) out(`  the pass failed and will retry: ${status.lastError}`);
      await new Promise((done) => setTimeout(done, 1_000));
    }
    out(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await storage.close();
  }
}
