#!/usr/bin/env node
import { account, member, token } from "./cli/access.js";
import { HELP, project, start, user } from "./cli/commands.js";
import { UsageError } from "./cli/common.js";
import { MigrateUsageError, migrateCommand } from "./cli/migrate.js";
import { out } from "./cli/print.js";
import { reindexCommand } from "./cli/reindex.js";
import { AppError } from "./errors.js";
import { ListenError } from "./server.js";
import { UnsupportedDatabaseUrlError } from "./storage/index.js";

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

/** An error of the operating system (ENOTFOUND, EACCES, ENOTDIR…), not of Node's own checks (ERR_…). */
const isSystemError = (error: unknown): error is NodeJS.ErrnoException =>
  error instanceof Error && /^E(?!RR_)[A-Z0-9_]+$/.test(String((error as NodeJS.ErrnoException).code));

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage =
    error instanceof UsageError ||
    error instanceof MigrateUsageError ||
    (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  if (usage) {
    console.error(`mcpsight: ${(error as Error).message}`);
    process.exit(2);
  }
  // A refusal the services explain (unknown member, too short a password), a host or port the
  // collector cannot listen on, a file it cannot open: the message is enough. A stack is only
  // for what nobody anticipated.
  if (
    error instanceof AppError ||
    error instanceof ListenError ||
    error instanceof UnsupportedDatabaseUrlError ||
    isSystemError(error)
  ) {
    // Node's AggregateError (every address of a host refused) has no message, only its code.
    console.error(`mcpsight: ${error.message || (error as NodeJS.ErrnoException).code}`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
