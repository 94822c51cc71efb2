// Where an example sends its analytics: read from the environment so the same code runs against a
// local collector, a test's temporary one or a deployed one.

/** The collector URL and project id of the examples. */
export interface CollectorConfig {
  apiBaseUrl: string;
  projectId: string;
}

export const DEFAULT_COLLECTOR_URL = "http://127.0.0.1:4747";

/**
 * `MCPSIGHT_URL` (default http://127.0.0.1:4747) and `MCPSIGHT_PROJECT_ID` (required). Exits
 * with an explanation when the project id is missing, so a first run says what to do.
 */
export function collectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const projectId = env.MCPSIGHT_PROJECT_ID?.trim();
  if (!projectId) {
    console.error(
      [
        "MCPSIGHT_PROJECT_ID is not set.",
        "Start the collector (npm start) and copy the project id it prints on first start, or create",
        "one with: npx mcpsight project create my-server",
        "Then run the example with it, e.g.:",
        "  MCPSIGHT_PROJECT_ID=proj_… npm run basic -w examples",
      ].join("\n"),
    );
    process.exit(2);
  }
  const apiBaseUrl = env.MCPSIGHT_URL?.trim() || DEFAULT_COLLECTOR_URL;
  try {
    new URL(apiBaseUrl);
  } catch {
    console.error(`MCPSIGHT_URL must be a URL such as ${DEFAULT_COLLECTOR_URL}; got "${apiBaseUrl}".`);
    process.exit(2);
  }
  return { apiBaseUrl, projectId };
}

/** `PORT` for the HTTP examples (0 = any free port). */
export function portFromEnv(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PORT?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`PORT must be an integer between 0 and 65535; got "${raw}".`);
    process.exit(2);
  }
  return port;
}
