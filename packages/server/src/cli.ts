#!/usr/bin/env node
import { account, member, token } from "./cli/access.js";
import { HELP, project, start, user } from "./cli/commands.js";
import { UsageError } from "./cli/common.js";
import { MigrateUsageError, migrateCommand } from "./cli/migrate.js";
import { out } from "./cli/print.js";
import { reindexCommand } from "./cli/reindex.js";
import { AppError } from "./errors.js";
import { PortInUseError } from "./server.js";

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  start,
  project,
  user,
  member,
  token,
  account,
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
  // A refusal the services explain (unknown member, too short a password): its message is enough.
  if (error instanceof AppError || error instanceof PortInUseError) {
    console.error(`mcpsight: ${error.message}`);
    process.exit(1);
  }
  const usage =
    error instanceof UsageError ||
    error instanceof MigrateUsageError ||
    (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  console.error(usage ? `mcpsight: ${(error as Error).message}` : error);
  process.exit(usage ? 2 : 1);
});
