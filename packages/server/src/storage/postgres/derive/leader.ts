import type pg from "pg";
import { ChunkSize, type PassReport, PassRunner } from "../../derive/runner.js";
import { postgresChunk } from "./transaction.js";

const RETRY_MS = 1_000;
/**
 * Chunk sizes when behind: from 5,000 events up to 20,000 while a chunk takes at most half a
 * second. Chunks of 20,000 cost ~12 % less CPU per event than chunks of 5,000 (bench/README.md,
 * `postgres-pass.ts --chunk`): the users, sessions and rollup rows many events touch are written
 * once per chunk. Not more: a chunk holds back its events, and the lock erasure and retention
 * wait for, until it commits, and 40,000 saved only ~5 % more. SQLite keeps 5,000: its chunks run
 * on the thread that appends.
 */
const CHUNK_MIN = 5_000;
const CHUNK_MAX = 20_000;
const CHUNK_TARGET_MS = 500;
/**
 * After catching up, ingests' wake-ups wait up to this long for the next chunk, or until they
 * stored a smallest chunk's worth (PassRunner's `settleMs`, `settleEvents`): less CPU per event
 * under a steady load (bench/README.md), for at most this much more lag.
 */
const SETTLE_MS = 250;

/**
 * Runs the derivation pass while it holds the database's pass lock: a session-level advisory lock
 * on a connection of its own, so that exactly one collector runs the pass and another takes over
 * (within a second) when the holder's connection ends. The holder derives on wake-ups (its
 * collector's ingest) and polls every `idleMs` for events other collectors stored. It runs on a
 * thread of its own (pass-worker.ts); `onChange` hears of every chunk (`final` false) and of every
 * change worth reporting at once (caught up, an error, the lock taken or lost: `final` true).
 */
export class PassLeader {
  private client: pg.PoolClient | null = null;
  private runner: PassRunner | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  lastError: { message: string; at: number } | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly onChange: (final: boolean) => void = () => {},
    private readonly idleMs = 200,
  ) {
    void this.acquire();
  }

  /**
   * Derive (this collector stored `stored` events: soon; without it, now); a collector not
   * holding the lock ignores it.
   */
  wake(stored?: number): void {
    this.runner?.wake(stored);
  }

  /** The pass's state while this collector holds the lock; null otherwise. */
  report(): PassReport | null {
    return this.runner ? { lag: this.runner.lag.summary(), lastError: this.runner.lastError } : null;
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
      this.onChange(true);
      return this.retry();
    }
    this.lead(client);
  }

  private lead(client: pg.PoolClient): void {
    this.client = client;
    const runner = new PassRunner((limit) => postgresChunk(client, this.schema, limit), {
      idleMs: this.idleMs,
      settleMs: SETTLE_MS,
      settleEvents: CHUNK_MIN,
      chunkSize: new ChunkSize(CHUNK_MIN, CHUNK_MAX, CHUNK_TARGET_MS),
      onChunk: () => this.onChange(false),
      onCaughtUp: () => this.onChange(true),
      onError: (error) => {
        this.onChange(true);
        // A broken connection has lost the lock: hand it back and try again.
        if ((error as { code?: string }).code === undefined && !this.closed) this.lose(error as Error);
      },
    });
    this.runner = runner;
    client.on("error", (error) => this.lose(error));
    this.onChange(true);
    runner.wake();
  }

  private lose(error: Error): void {
    const client = this.client;
    const runner = this.runner;
    if (!client || !runner) return;
    this.client = null;
    this.runner = null;
    this.lastError = { message: error.message, at: Date.now() };
    this.onChange(true);
    void runner.close().then(() => {
      client.release(error);
      this.retry();
    });
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
