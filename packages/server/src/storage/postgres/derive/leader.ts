import type pg from "pg";
import { ChunkSize, PassRunner } from "../../derive/runner.js";
import { postgresChunk } from "./transaction.js";

const RETRY_MS = 1_000;
/**
 * Chunk sizes when behind: from 5,000 events up to 20,000 while a chunk takes at most half a
 * second. Chunks of 20,000 cost ~12 % less CPU per event than chunks of 5,000 (bench/README.md,
 * `postgres-pass.ts --chunk`): the users, sessions and rollup rows many events touch are written
 * once per chunk. Not more: the pass runs on the collector's main thread, and the stretches a
 * chunk holds it for grow with the chunk (the longest ~26 ms at 5,000 events, ~100 ms at 20,000,
 * ~140 ms at 40,000, which saved ~5 % more). SQLite keeps 5,000: its chunks run on the thread
 * that appends.
 */
const CHUNK_MIN = 5_000;
const CHUNK_MAX = 20_000;
const CHUNK_TARGET_MS = 500;

/**
 * Runs the derivation pass in this collector while it holds the database's pass lock: a
 * session-level advisory lock on a connection of its own, so that exactly one collector runs the
 * pass and another takes over (within a second) when the holder's connection ends. The holder
 * derives on wake-ups (its own ingest) and polls every `idleMs` for events other collectors
 * stored.
 */
export class PassLeader {
  private client: pg.PoolClient | null = null;
  private runner: PassRunner | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly listeners = new Set<() => void>();
  lastError: { message: string; at: number } | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly idleMs = 200,
  ) {
    void this.acquire();
  }

  /** Derive now (this collector stored events); a collector not holding the lock ignores it. */
  wake(): void {
    this.runner?.wake();
  }

  get leading(): boolean {
    return this.runner !== null;
  }

  report() {
    return this.runner ? { lag: this.runner.lag.summary(), lastError: this.runner.lastError } : null;
  }

  onDerived(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.runner?.close();
    this.runner = null;
    const client = this.client;
    this.client = null;
    if (client) {
      await client.query("SELECT pg_advisory_unlock_all()").catch(() => {});
      client.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.closed) return;
    let client: pg.PoolClient | null = null;
    try {
      client = await this.pool.connect();
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
        [`mcpsight.pass.${this.schema}`],
      );
      if (!rows[0]?.locked || this.closed) {
        client.release();
        return this.retry();
      }
    } catch (error) {
      client?.release(error as Error);
      this.lastError = { message: (error as Error).message, at: Date.now() };
      return this.retry();
    }
    this.lead(client);
  }

  private lead(client: pg.PoolClient): void {
    this.client = client;
    const runner = new PassRunner((limit) => postgresChunk(client, this.schema, limit), {
      idleMs: this.idleMs,
      chunkSize: new ChunkSize(CHUNK_MIN, CHUNK_MAX, CHUNK_TARGET_MS),
      onChunk: () => this.notify(),
      onError: (error) => {
        this.notify();
        // A broken connection has lost the lock: hand it back and try again.
        if ((error as { code?: string }).code === undefined && !this.closed) this.lose(error as Error);
      },
    });
    this.runner = runner;
    client.on("error", (error) => this.lose(error));
    runner.wake();
  }

  private lose(error: Error): void {
    const client = this.client;
    const runner = this.runner;
    if (!client || !runner) return;
    this.client = null;
    this.runner = null;
    this.lastError = { message: error.message, at: Date.now() };
    void runner.close().then(() => {
      client.release(error);
      this.retry();
    });
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private retry(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.acquire();
    }, RETRY_MS);
    this.timer.unref();
  }
}
