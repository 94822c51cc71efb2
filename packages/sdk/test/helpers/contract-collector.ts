import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { type Event, HEADERS, validateEvent } from "@mcpsight/protocol";
import { closeServer, listenLocal, urlOf } from "./local-server.js";

/** One per-event refusal, as the collector lists it in a 200 answer. */
export interface Rejection {
  index: number;
  code: string;
  field: string;
  reason: string;
}

/** One request as received: its project header and the ids of its events. */
export interface ContractRequest {
  project: string | undefined;
  headers: IncomingHttpHeaders;
  ids: string[];
  droppedEvents: number | undefined;
  status: number;
}

/**
 * A real HTTP server that answers `POST /v1/batch` the way the batch contract says the collector
 * does (docs/PROTOCOL.md): an unknown project in `X-MCPSight-Project` is a 404 before the body is
 * read; every other event is checked on its own with the protocol's validator, valid ones are
 * stored (once per id) and the rest are listed in `rejected` of a 200 answer.
 */
export class ContractCollector {
  readonly stored = new Map<string, Event>();
  readonly requests: ContractRequest[] = [];
  private server: Server | undefined;

  constructor(private readonly projects: Set<string>) {}

  get url(): string {
    return urlOf(this.server, "collector");
  }

  /** Stored events of one project, in arrival order. */
  eventsOf(projectId: string): Event[] {
    return [...this.stored.values()].filter((event) => event.projectId === projectId);
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const header = request.headers[HEADERS.project];
      const project = typeof header === "string" ? header : undefined;
      const answer = (status: number, body: unknown, ids: string[] = [], dropped?: number) => {
        this.requests.push({ project, headers: request.headers, ids, droppedEvents: dropped, status });
        response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (project !== undefined && !this.projects.has(project)) {
        request.resume();
        answer(404, {
          error: { code: "project_not_found", message: `Project "${project}" does not exist.` },
        });
        return;
      }
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const raw = Buffer.concat(chunks);
        const body = JSON.parse(
          (request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8"),
        ) as { events: unknown[]; droppedEvents?: number };
        const rejected: Rejection[] = [];
        let accepted = 0;
        let duplicates = 0;
        const ids: string[] = [];
        body.events.forEach((candidate, index) => {
          const result = validateEvent(candidate, index);
          if (!result.ok) {
            for (const issue of result.issues)
              rejected.push({ index, code: "invalid_event", field: issue.field, reason: issue.reason });
            return;
          }
          const event = result.value;
          ids.push(event.id);
          if (project !== undefined && event.projectId !== project) {
            rejected.push({
              index,
              code: "project_mismatch",
              field: "projectId",
              reason: `is not the batch's project "${project}"`,
            });
          } else if (!this.projects.has(event.projectId)) {
            rejected.push({ index, code: "unknown_project", field: "projectId", reason: "does not exist" });
          } else if (this.stored.has(event.id)) {
            duplicates += 1;
          } else {
            this.stored.set(event.id, event);
            accepted += 1;
          }
        });
        answer(200, { accepted, duplicates, rejected }, ids, body.droppedEvents);
      });
    });
    await listenLocal(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    this.server = undefined;
  }
}
