import { deriveProject } from "./engine.js";
import { recomputeSketches, recomputeUsers, type SketchRow, type UserTotals } from "./recompute.js";
import type { DeriveEvent, DeriveSource, RecomputeSource, WriteSet } from "./types.js";

/** An event read after the cursor, with its project and when it was acknowledged. */
export interface ChunkEvent extends DeriveEvent {
  projectPk: number;
  projectId: string;
  receivedAt: number;
}

/**
 * What a backend provides for one chunk of the pass, all inside one transaction: the reads of
 * `DeriveSource` and `RecomputeSource`, the writes, and the cursor. A crash anywhere leaves the
 * transaction uncommitted: nothing derived twice, nothing lost.
 */
export interface PassTransaction extends DeriveSource, RecomputeSource {
  /** Up to `limit` events after the cursor, in cursor order. */
  readAfter(limit: number): Promise<ChunkEvent[]>;
  write(ws: WriteSet): Promise<void>;
  writeUserTotals(projectPk: number, totals: UserTotals[]): Promise<void>;
  writeSketches(projectPk: number, sketches: { hours: SketchRow[]; days: SketchRow[] }): Promise<void>;
  /** Moves the cursor past `last`, the chunk's last event. */
  advance(last: ChunkEvent): Promise<void>;
}

export interface ChunkResult {
  /** Events read (derived or dropped); 0 when nothing was pending. */
  derived: number;
  /** When each was acknowledged (epoch ms), for the lag. */
  receivedAt: number[];
}

/** Derives one chunk of up to `limit` events inside the caller's transaction. */
export async function deriveChunk(tx: PassTransaction, limit: number): Promise<ChunkResult> {
  const events = await tx.readAfter(limit);
  const last = events.at(-1);
  if (!last) return { derived: 0, receivedAt: [] };
  const byProject = new Map<number, ChunkEvent[]>();
  for (const e of events) {
    const list = byProject.get(e.projectPk);
    if (list) list.push(e);
    else byProject.set(e.projectPk, [e]);
  }
  for (const [pk, list] of byProject) {
    const ws = await deriveProject({ pk, id: (list[0] as ChunkEvent).projectId }, list, tx);
    await tx.write(ws);
    // Recomputations read what was just written (the same transaction).
    if (ws.recompute.users.length > 0)
      await tx.writeUserTotals(pk, await recomputeUsers(tx, ws.recompute.users));
    if (ws.recompute.sketchHours.length > 0)
      await tx.writeSketches(pk, await recomputeSketches(tx, pk, ws.recompute.sketchHours));
  }
  await tx.advance(last);
  return { derived: events.length, receivedAt: events.map((e) => e.receivedAt) };
}
