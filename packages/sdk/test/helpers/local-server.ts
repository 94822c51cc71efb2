import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on a free port of 127.0.0.1. */
export async function listenLocal(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
}

/** The base URL of a listening server. */
export function urlOf(server: Server | undefined, what: string): string {
  const address = server?.address() as AddressInfo | null | undefined;
  if (!address) throw new Error(`${what} not started`);
  return `http://127.0.0.1:${address.port}`;
}

/** Closes the server and every connection it still holds (keep-alive sockets included). */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
