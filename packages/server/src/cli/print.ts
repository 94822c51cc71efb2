import type { BootstrapResult } from "../services/bootstrap.js";
import { CHECKOUT, sdkSnippets } from "../services/snippets.js";

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
      snippetsText(first.project.id, url),
    );
  }
  lines.push(``);
  return lines.join("\n");
}
