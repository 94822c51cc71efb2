import { createHash } from "node:crypto";
import { fromMcpcatEvent, validateBatch, validateEvent } from "@mcpsight/protocol";
import { AppError, projectNotFound } from "../errors.js";
import type { Event, IngestResult, Storage } from "../storage/index.js";

async function assertProjectsExist(storage: Storage, events: Event[]): Promise<void> {
  for (const projectId of new Set(events.map((event) => event.projectId))) {
    if (!(await storage.getProject(projectId))) throw projectNotFound(projectId);
  }
}

/** Validates and stores an SDK batch; all or nothing. */
export async function ingestBatch(storage: Storage, body: unknown): Promise<IngestResult> {
  const result = validateBatch(body);
  if (!result.ok) {
    throw new AppError(
      "invalid_batch",
      `The batch was rejected: ${result.issues.length} problem(s); nothing was stored. See details.`,
      result.issues,
    );
  }
  await assertProjectsExist(storage, result.value.events);
  return storage.ingestEvents(result.value.events, result.value.droppedEvents);
}

/**
 * Stores one event in MCPcat's format. MCPcat normally sends an id; when it is missing, one is
 * derived from the content so that a retried request is still deduplicated.
 */
export async function ingestMcpcatEvent(storage: Storage, body: unknown): Promise<IngestResult> {
  const candidate = fromMcpcatEvent(body);
  if (typeof candidate === "object" && candidate !== null && !("id" in candidate)) {
    const digest = createHash("sha256").update(JSON.stringify(body)).digest("base64url").slice(0, 32);
    (candidate as Record<string, unknown>).id = `evt_${digest}`;
  }
  const result = validateEvent(candidate, 0);
  if (!result.ok) {
    throw new AppError(
      "invalid_batch",
      "The event was rejected; nothing was stored. See details.",
      result.issues,
    );
  }
  await assertProjectsExist(storage, [result.value]);
  return storage.ingestEvents([result.value]);
}
