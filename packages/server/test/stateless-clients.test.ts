// One run of a real MCP client against a stateless server is one session in the collector, whether
// the user is identified (API key) or anonymous: the client's name from initialize is remembered
// for its later requests, and anonymous requests carry a correlation id. Real clients (Python `mcp`
// as a child process, the TypeScript v2 and 1.11 clients), real servers (SDK 1.x latest, 1.11, v2)
// over node:http, the real collector, read back through the query API.
import { randomUUID } from "node:crypto";
import { flush } from "mcpsight";
import { beforeAll, describe, expect, it } from "vitest";
import type { SessionSummary } from "../src/storage/types.js";
import { BACKENDS, collectorOn } from "./backends.js";
import { ADMIN_TOKEN, api, derived } from "./helpers.js";
import { pythonAvailable, pythonWithMcp } from "./python.js";
import {
  type ClientKind,
  pythonClient,
  type ServerKind,
  sdk111,
  sdkLatest,
  sdkV2,
  ts111Client,
  tsV2Client,
} from "./stateless-hosts.js";

const CLIENTS: ClientKind[] = [tsV2Client, ts111Client, ...(pythonAvailable ? [pythonClient] : [])];
const SERVERS: ServerKind[] = [sdkLatest, sdk111, sdkV2];
const USERS = { key_ada: "ada" };
/** A Python client run starts an interpreter that imports the whole `mcp` package: slow on a busy machine. */
const RUN_TIMEOUT_MS = 120_000;

// The Python environment is built once, before the first run (about half a minute on a fresh machine).
beforeAll(async () => {
  if (pythonAvailable) await pythonWithMcp();
}, 600_000);

describe.each(BACKENDS)("stateless runs of real clients ($name)", (backend) => {
  const collectorNow = collectorOn(backend);

  /** Runs `client` once against a fresh `server` in a project of its own; returns the project's sessions. */
  async function sessionsOfOneRun(
    server: ServerKind,
    client: ClientKind,
    headers: Record<string, string>,
  ): Promise<SessionSummary[]> {
    const collector = collectorNow();
    const projectId = `proj_${randomUUID().slice(0, 8)}`;
    await collector.storage.createProject({ id: projectId, name: projectId });
    const host = await server.start({ apiBaseUrl: collector.url, projectId, users: USERS });
    try {
      await client.run(host.url, headers);
    } finally {
      await host.close();
    }
    await flush();
    await derived(collector.url);
    const found = await api<{ items: SessionSummary[] }>(
      collector.url,
      `/api/v1/projects/${projectId}/sessions?limit=50`,
      { token: ADMIN_TOKEN },
    );
    expect(found.status).toBe(200);
    return found.body.items;
  }

  describe.each(SERVERS)("$name server", (server) => {
    it.each(CLIENTS)(
      "an anonymous run of the $name is one session",
      async (client) => {
        const sessions = await sessionsOfOneRun(server, client, {});
        expect(sessions).toHaveLength(1);
        expect(sessions[0]).toMatchObject({
          userId: null,
          stateless: true,
          toolCalls: 2,
          clientName: client.announces,
        });
      },
      RUN_TIMEOUT_MS,
    );

    it.each(CLIENTS)(
      "an identified run of the $name is one session of its user",
      async (client) => {
        const sessions = await sessionsOfOneRun(server, client, { "X-API-Key": "key_ada" });
        expect(sessions).toHaveLength(1);
        expect(sessions[0]).toMatchObject({
          userId: "ada",
          stateless: true,
          toolCalls: 2,
          clientName: client.announces,
        });
      },
      RUN_TIMEOUT_MS,
    );
  });

  // Shown as skipped, so a machine without Python does not pass these silently.
  if (!pythonAvailable) it.skip("runs of the Python client (needs python3 3.10+)", () => {});
});
