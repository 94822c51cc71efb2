import { resolve } from "node:path";
import { openStorage } from "../storage/index.js";

/** Options every command that opens the database takes. */
export const STORAGE_OPTIONS = {
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** A mistake in how a command was called: its message is printed, exit code 2. */
export class UsageError extends Error {}

/**
 * A MCPSIGHT_* variable's value. Empty or blank counts as unset: docker compose passes an unset
 * `${X}` on as an empty string.
 */
export function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value?.trim() ? value : undefined;
}

export const dataDirFrom = (values: { "data-dir"?: string | undefined }): string =>
  resolve(values["data-dir"] ?? fromEnv("MCPSIGHT_DATA_DIR") ?? ".mcpsight");

/**
 * Opens the database the options (or the environment) name; permission fixes go to stderr. A
 * one-off command ingests nothing, so it leaves the derivation pass to the collectors unless it
 * asks for it (`reindex`).
 */
export const storageFrom = (
  values: {
    "data-dir"?: string | undefined;
    "database-url"?: string | undefined;
  },
  derive = false,
) =>
  openStorage({
    dataDir: dataDirFrom(values),
    databaseUrl: values["database-url"] ?? fromEnv("MCPSIGHT_DATABASE_URL"),
    onNotice: (notice) => console.error(`mcpsight: ${notice}`),
    derive,
  });
