// A counting collector stand-in, run in its own process so its parsing does not compete with the
// SDK being measured. Accepts mcpsight batches and MCPcat single events; binds 127.0.0.1 only.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzip } from "node:zlib";

const ids = new Set<string>();
let received = 0;
let requests = 0;
let droppedReported = 0;

function count(path: string, body: unknown): void {
  requests += 1;
  const events = path.startsWith("/v1/batch") ? (body as { events: { id?: string }[] }).events : [body];
  droppedReported += path.startsWith("/v1/batch")
    ? ((body as { droppedEvents?: number }).droppedEvents ?? 0)
    : 0;
  for (const event of events as { id?: string }[]) {
    received += 1;
    if (event.id) ids.add(event.id);
  }
}

const server = createServer((request, response) => {
  if (request.method === "GET") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ received, unique: ids.size, requests, droppedReported }));
    return;
  }
  if (request.url === "/reset") {
    ids.clear();
    received = requests = droppedReported = 0;
    response.writeHead(204).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const path = request.url ?? "";
    const finish = (error: Error | null, raw: Buffer) => {
      try {
        if (error) throw error;
        count(path, JSON.parse(raw.toString("utf8")));
        response.writeHead(path.startsWith("/v1/batch") ? 200 : 202, { "content-type": "application/json" });
        response.end("{}");
      } catch {
        response.writeHead(400).end();
      }
    };
    const raw = Buffer.concat(chunks);
    if (request.headers["content-encoding"] === "gzip") gunzip(raw, finish);
    else finish(null, raw);
  });
});

// Senders under valgrind are ~50× slower and post minutes apart: keep their sockets open meanwhile,
// so a request never races the server closing an idle keep-alive connection.
server.keepAliveTimeout = 15 * 60_000;
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on("disconnect", () => process.exit(0));
