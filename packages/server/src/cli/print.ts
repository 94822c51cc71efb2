import type { BootstrapResult } from "../services/bootstrap.js";
import { trackSnippet } from "../services/projects.js";

/** CLI output goes to stdout; logs (pino) go to stderr. */
export const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

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

/** What `mcpsight start` prints; `databaseUrl` when the data is in PostgreSQL, not the data directory. */
export function startBanner(
  url: string,
  first: BootstrapResult,
  dataDir: string,
  databaseUrl: string | undefined,
): string {
  const lines = [
    ``,
    `  mcpsight collector listening on ${url}`,
    `  Dashboard: ${url}/`,
    `  Data: ${databaseUrl ? postgresLocation(databaseUrl) : dataDir}`,
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
      `  Instrument your MCP server (npm install mcpsight):`,
      ``,
      ...trackSnippet(first.project.id, url)
        .trimEnd()
        .split("\n")
        .map((line) => `    ${line}`),
    );
  }
  lines.push(``);
  return lines.join("\n");
}
