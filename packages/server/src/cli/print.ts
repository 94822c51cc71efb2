import { resolve } from "node:path";
import type { BootstrapResult } from "../services/bootstrap.js";
import { CHECKOUT, sdkSnippets } from "../services/snippets.js";
import { sqliteUrlPath } from "../storage/index.js";

/** CLI output goes to stdout; logs (pino) go to stderr. */
export const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** How to instrument a server for this project in TypeScript, Python and Go, for a terminal. */
export function snippetsText(projectId: string, collectorUrl: string): string {
  const lines = [
    `  Instrument your MCP server. Each SDK installs from a checkout of this repository`,
    `  (${CHECKOUT} below); docs/SDK.md, docs/SDK-PYTHON.md and docs/SDK-GO.md say more.`,
  ];
  for (const { label, install, code } of sdkSnippets(projectId, collectorUrl)) {
    // Blank lines dropped: three snippets stay one screen.
    const [first, ...more] = install.split("\n");
    lines.push(``, `  ${label}: ${first}`, ...more.map((line) => `  ${" ".repeat(label.length + 2)}${line}`));
    lines.push(
      ...code
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => `    ${line}`),
    );
  }
  return lines.join("\n");
}

/** Where the data lives, for people: the PostgreSQL server and database (never its password). */
export function postgresLocation(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const schema = url.searchParams.get("schema");
    return `PostgreSQL at ${url.host}${url.pathname}${schema ? ` (schema ${schema})` : ""}`;
  } catch {
    return "PostgreSQL";
  }
}

/** Where the data lives, for people: the SQLite file, or the PostgreSQL server and database. */
export function databaseLocation(databaseUrl: string): string {
  const path = sqliteUrlPath(databaseUrl);
  return path === undefined ? postgresLocation(databaseUrl) : `SQLite at ${resolve(path)}`;
}

/** What `mcpsight start` prints. */
export function startBanner(options: {
  /** Where the collector listens. */
  listening: string;
  /** Where clients reach it: the Dashboard line and the snippets. */
  url: string;
  first: BootstrapResult;
  dataDir: string;
  /** Set when the data is in a database the URL names, not the data directory. */
  databaseUrl: string | undefined;
}): string {
  const { url, first, databaseUrl } = options;
  const lines = [
    ``,
    `  mcpsight collector listening on ${options.listening}`,
    `  Dashboard: ${url}/`,
    `  Data: ${databaseUrl ? databaseLocation(databaseUrl) : options.dataDir}`,
  ];
  if (first.firstStart && first.project) {
    lines.push(
      ``,
      `  First start: created project "${first.project.name}" (${first.project.id}).`,
      ``,
      `  Admin login   username: admin`,
      `                password: ${first.password ?? "(from MCPSIGHT_ADMIN_PASSWORD)"}`,
      `  API token     ${first.token ?? "(from MCPSIGHT_ADMIN_TOKEN)"}`,
      ``,
      `  These are shown only now and stored as hashes. To reset them, set MCPSIGHT_ADMIN_PASSWORD`,
      `  and/or MCPSIGHT_ADMIN_TOKEN and restart.`,
      ``,
      snippetsText(first.project.id, url),
    );
  }
  lines.push(``);
  return lines.join("\n");
}
