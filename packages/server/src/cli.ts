#!/usr/bin/env node
import { HELP, project, start, UsageError, user } from "./cli/commands.js";
import { MigrateUsageError, migrateCommand } from "./cli/migrate.js";
import { out } from "./cli/print.js";
import { reindexCommand } from "./cli/reindex.js";

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  start,
  project,
  user,
  migrate: migrateCommand,
  reindex: reindexCommand,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") return out(HELP.main);
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"\n\n${HELP.main}`);
  await run(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage =
    error instanceof UsageError ||
    error instanceof MigrateUsageError ||
    (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  console.error(usage ? `mcpsight: ${(error as Error).message}` : error);
  process.exit(usage ? 2 : 1);
});
