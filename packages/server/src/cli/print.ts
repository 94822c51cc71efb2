import type { BootstrapResult } from "../services/bootstrap.js";
import { trackSnippet } from "../services/projects.js";

/** CLI output goes to stdout; logs (pino) go to stderr. */
export const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

export function startBanner(url: string, first: BootstrapResult, dataDir: string): string {
  const lines = [
    ``,
    `  mcpsight collector listening on ${url}`,
    `  Dashboard: ${url}/`,
    `  Data: ${dataDir}`,
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
