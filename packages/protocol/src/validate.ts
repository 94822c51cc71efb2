import type { ZodError } from "zod";
import { LIMITS } from "./constants.js";
import { type Batch, batchSchema, type Event, eventSchema } from "./schema.js";

/** One problem found in a batch: which event (absent for envelope problems), which field, and why. */
export interface ValidationIssue {
  index?: number;
  field: string;
  reason: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

const fieldOf = (path: (string | number)[]): string => (path.length === 0 ? "(root)" : path.join("."));

function issuesOf(error: ZodError, index?: number): ValidationIssue[] {
  return error.issues.map((issue) => ({
    ...(index === undefined ? {} : { index }),
    field: fieldOf(issue.path),
    reason: issue.message,
  }));
}

/** Validates one event, including its serialized size. */
export function validateEvent(input: unknown, index?: number): ValidationResult<Event> {
  const parsed = eventSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error, index) };
  const bytes = Buffer.byteLength(JSON.stringify(parsed.data));
  if (bytes > LIMITS.eventBytes) {
    return {
      ok: false,
      issues: [
        {
          ...(index === undefined ? {} : { index }),
          field: "(event)",
          reason: `is ${bytes} bytes; the limit is ${LIMITS.eventBytes}`,
        },
      ],
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Validates a batch envelope and every event in it. A batch is all-or-nothing: any bad event
 * makes the whole batch invalid, and every problem is reported with the event's index.
 */
export function validateBatch(input: unknown): ValidationResult<Batch> {
  const envelope = batchSchema.safeParse(input);
  if (!envelope.success) return { ok: false, issues: issuesOf(envelope.error) };
  const events: Event[] = [];
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  envelope.data.events.forEach((raw, index) => {
    const result = validateEvent(raw, index);
    if (!result.ok) {
      issues.push(...result.issues);
      return;
    }
    if (seen.has(result.value.id)) {
      issues.push({ index, field: "id", reason: "is repeated within the batch" });
      return;
    }
    seen.add(result.value.id);
    events.push(result.value);
  });
  if (issues.length > 0) return { ok: false, issues };
  const batch: Batch = { events };
  if (envelope.data.droppedEvents !== undefined) batch.droppedEvents = envelope.data.droppedEvents;
  return { ok: true, value: batch };
}
