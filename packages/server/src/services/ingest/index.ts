import { createHash } from "node:crypto";
import {
  type BatchResponse,
  type Event,
  fromMcpcatEvent,
  type IndexedEvent,
  type Rejection,
  validateBatch,
  validateEvent,
} from "@mcpsight/protocol";
import { AppError, projectNotFound } from "../../errors.js";
import type { Storage } from "../../storage/index.js";
import { onlyUnknownProject, ProjectDirectory } from "./projects.js";
import { storeIsolated } from "./store.js";
import { placeInTime } from "./time.js";

/** The MCPcat route's answer: a batch answer of one event, and MCPcat's `status`. */
export interface McpcatResponse extends BatchResponse {
  status: "accepted" | "rejected";
}

/** An answer, and the first error the database gave for an event it refused (for the log). */
export interface Ingested<T> {
  body: T;
  storageError: unknown;
}

export interface IngestOptions {
  /** Events older than this many days before they are received are refused (`too_old`). */
  retentionDays: number;
}

/** When an event arrives: its receive time, and the project the sender named for the whole batch. */
export interface Arrival {
  receivedAt: number;
  project?: string | undefined;
}

const byIndex = (a: Rejection, b: Rejection) => a.index - b.index;

/**
 * Ingest (PROTOCOL.md): validates batches and MCPcat events with the protocol package, refuses
 * what cannot be stored event by event, and stores the rest so that a storage failure costs only
 * the events at fault. Unknown projects are refused as early as the caller allows: from the
 * `X-MCPSight-Project` header before the body is read, from the body's text before it is parsed.
 */
export class IngestService {
  private readonly projects: ProjectDirectory;

  constructor(
    private readonly storage: Storage,
    private readonly options: IngestOptions,
  ) {
    this.projects = new ProjectDirectory(storage);
  }

  /** The batch's project (the header) must exist: checked before its body is read. */
  async assertProject(projectId: string): Promise<void> {
    if (!(await this.projects.exists(projectId))) throw projectNotFound(projectId);
  }

  /** Refuses, before it is parsed, a JSON body whose every project id is unknown. */
  async refuseUnknownProjects(text: string): Promise<void> {
    const unknown = await onlyUnknownProject(this.projects, text);
    if (unknown !== null) throw projectNotFound(unknown);
  }

  /** A batch: the envelope fails as a whole; each bad event is rejected on its own. */
  async ingestBatch(body: unknown, arrival: Arrival): Promise<Ingested<BatchResponse>> {
    const result = validateBatch(body);
    if (!result.ok)
      throw new AppError(
        "invalid_batch",
        `The batch was rejected: ${result.issues.length} problem(s); nothing was stored. See details.`,
        result.issues,
      );
    const rejected = [...result.value.rejected];
    const admitted = await this.admit(result.value.events, rejected, arrival);
    const stored = await storeIsolated(this.storage, admitted, result.value.droppedEvents);
    rejected.push(...stored.notStored);
    return {
      body: { accepted: stored.accepted, duplicates: stored.duplicates, rejected: rejected.sort(byIndex) },
      storageError: stored.firstError,
    };
  }

  /**
   * One event in MCPcat's format. A malformed one is a 400 naming the field; an event refused for
   * what it is (too old, refused by the database) is a 202 with status `rejected`, which MCPcat
   * does not retry. MCPcat always sends an id; without one, an id is derived from the content
   * (after validation, which bounds its nesting) so that a retried request is still deduplicated.
   */
  async ingestMcpcatEvent(body: unknown, arrival: Arrival): Promise<Ingested<McpcatResponse>> {
    const candidate = fromMcpcatEvent(body);
    const needsId =
      typeof candidate === "object" &&
      candidate !== null &&
      !Array.isArray(candidate) &&
      !("id" in candidate);
    const result = validateEvent(needsId ? { ...candidate, id: "pending" } : candidate);
    if (!result.ok)
      throw new AppError(
        "invalid_event",
        `The event was rejected (${result.issues.map((issue) => `${issue.field} ${issue.reason}`).join("; ")}); nothing was stored.`,
        result.issues,
      );
    const event: Event = result.value;
    if (needsId)
      event.id = `evt_${createHash("sha256").update(JSON.stringify(event)).digest("base64url").slice(0, 32)}`;
    const rejected: Rejection[] = [];
    const admitted = await this.admit([{ index: 0, event }], rejected, arrival);
    const stored = await storeIsolated(this.storage, admitted);
    rejected.push(...stored.notStored);
    return {
      body: {
        status: rejected.length > 0 ? "rejected" : "accepted",
        accepted: stored.accepted,
        duplicates: stored.duplicates,
        rejected,
      },
      storageError: stored.firstError,
    };
  }

  /**
   * The events that may be stored: of the batch's project (when it named one), of a project that
   * exists, not older than the retention; future times are brought back to the receive time.
   * Without a batch project, a batch whose every event names an unknown project is a 404.
   */
  private async admit(
    events: IndexedEvent[],
    rejected: Rejection[],
    arrival: Arrival,
  ): Promise<IndexedEvent[]> {
    const exists = new Map<string, boolean>();
    for (const { event } of events)
      if (!exists.has(event.projectId))
        exists.set(event.projectId, await this.projects.exists(event.projectId));
    const admitted: IndexedEvent[] = [];
    let unknown: string | undefined;
    let known = false;
    for (const item of events) {
      const { event, index } = item;
      if (arrival.project !== undefined && event.projectId !== arrival.project) {
        rejected.push({
          index,
          code: "project_mismatch",
          field: "projectId",
          reason: `is not the batch's project "${arrival.project}" (X-MCPSight-Project); send each project's events in a batch of their own`,
        });
        continue;
      }
      if (!exists.get(event.projectId)) {
        unknown ??= event.projectId;
        rejected.push({
          index,
          code: "unknown_project",
          field: "projectId",
          reason: `names project "${event.projectId}", which does not exist; create it with \`mcpsight project create <name>\` and use the id it prints`,
        });
        continue;
      }
      known = true;
      const refused = placeInTime(event, index, arrival.receivedAt, this.options.retentionDays);
      if (refused) rejected.push(refused);
      else admitted.push(item);
    }
    if (!known && unknown !== undefined && arrival.project === undefined) throw projectNotFound(unknown);
    return admitted;
  }
}
