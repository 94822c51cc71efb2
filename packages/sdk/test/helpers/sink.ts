import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import type { Event } from "@mcpsight/protocol";
import { closeServer, listenLocal, urlOf } from "./local-server.js";

/** One request the sink received, decoded. */
export interface ReceivedBatch {
  path: string;
  headers: IncomingMessage["headers"];
  gzip: boolean;
  body: { events: Event[]; droppedEvents?: number };
}

type Behaviour = (request: IncomingMessage, response: ServerResponse, attempt: number) => boolean;

/**
 * A real HTTP server on 127.0.0.1 that records what an SDK sends. `respondWith` lets a test make
 * it fail, hang or answer slowly; by default it answers 200 like the collector.
 */
export class Sink {
  readonly batches: ReceivedBatch[] = [];
  /** Every decodable request, including ones a `respondWith` behaviour failed (retries show up here). */
  readonly attempts: ReceivedBatch[] = [];
  private server: Server | undefined;
  private behaviour: Behaviour | undefined;
  private attemptCount = 0;

  get url(): string {
    return urlOf(this.server, "sink");
  }

  /** Every event received, in arrival order, without duplicates by id. */
  get events(): Event[] {
    const seen = new Map<string, Event>();
    for (const batch of this.batches) for (const event of batch.body.events) seen.set(event.id, event);
    return [...seen.values()];
  }

  /** Makes the next requests behave differently; return true when the behaviour answered. */
  respondWith(behaviour: Behaviour | undefined): void {
    this.behaviour = behaviour;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        this.attemptCount += 1;
        const raw = Buffer.concat(chunks);
        const gzip = request.headers["content-encoding"] === "gzip";
        const decoded = decode(raw, gzip);
        if (decoded !== undefined) {
          this.attempts.push({ path: request.url ?? "", headers: request.headers, gzip, body: decoded });
        }
        if (this.behaviour?.(request, response, this.attemptCount)) return;
        try {
          const body = JSON.parse((gzip ? gunzipSync(raw) : raw).toString("utf8"));
          this.batches.push({ path: request.url ?? "", headers: request.headers, gzip, body });
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ accepted: body.events?.length ?? 0, duplicates: 0 }));
        } catch (error) {
          response.writeHead(400, { "content-type": "application/json" });
          response.end(JSON.stringify({ error: { code: "bad_json", message: String(error) } }));
        }
      });
    });
    await listenLocal(this.server);
    return this;
  }

  /** Resolves once at least `count` distinct events arrived, or rejects after `timeoutMs`. */
  async waitForEvents(count: number, timeoutMs = 10_000): Promise<Event[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`sink received ${this.events.length} events, expected at least ${count}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.events;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    this.server = undefined;
  }
}

function decode(raw: Buffer, gzip: boolean): ReceivedBatch["body"] | undefined {
  try {
    return JSON.parse((gzip ? gunzipSync(raw) : raw).toString("utf8"));
  } catch {
    return undefined;
  }
}
