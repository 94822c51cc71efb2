import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** Serves the built dashboard, when present; returns whether it did (for the SPA fallback). */
export async function registerDashboard(app: FastifyInstance, root: string | null): Promise<boolean> {
  if (!root || !existsSync(join(root, "index.html"))) return false;
  await app.register(fastifyStatic, { root, wildcard: false });
  return true;
}
