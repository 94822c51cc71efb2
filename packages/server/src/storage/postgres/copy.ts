import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
const escaped = (char: string) => ESCAPED[char] as string;

/**
 * A value as one field of COPY's text format: null as `\N`, booleans as `t`/`f`, numbers as
 * JavaScript writes them (a shortest round-trip decimal, which `bigint` and `float8` read back
 * exactly; one that is not finite as null, as JSON would send it), and text with its backslashes,
 * tabs and line breaks escaped — the only characters the format reads specially. Text is
 * tested before it is rewritten: almost none needs it.
 */
export function copyField(value: unknown): string {
  if (typeof value === "string") return copyText(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "\\N";
  if (typeof value === "boolean") return value ? "t" : "f";
  if (value === null || value === undefined) return "\\N";
  throw new TypeError(`no COPY text for a value of type ${typeof value}`);
}

/** Text as one COPY field: its backslashes, tabs and line breaks escaped. */
export const copyText = (text: string): string =>
  SPECIAL.test(text) ? text.replace(SPECIALS, escaped) : text;

/**
 * JSON text as one COPY field. JSON writes every control character as an escape, so a tab or
 * line break never appears raw in it: only its backslashes need doubling.
 */
export const copyJson = (json: string): string =>
  json.includes("\\") ? json.replaceAll("\\", "\\\\") : json;

/**
 * Runs `fn` on a client of its own, out of the pool's pipeline mode: COPY cannot share a
 * pipelined connection (a statement written behind it would be read as part of the copy), so
 * `pg` refuses it there. `fn` awaits each statement before the next and leaves the client idle,
 * answered and outside a transaction; the client goes back to the pool pipelined. An error `fn`
 * marks as `broken` (the client could not be put back in order), or the connection's own, closes
 * the connection instead.
 */
export async function unpipelined<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, broken: (error: Error) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // `pipeline` is read at each query: off, queries go one at a time, as pg sends them by default.
  const mode = client as unknown as { pipeline: boolean };
  const pipelined = mode.pipeline;
  let failure: Error | undefined;
  const broken = (error: Error) => {
    failure = error;
  };
  // A connection lost while the client is out of the pool fails its statement; the client's own
  // error event must not go unheard (it would end the process).
  client.on("error", broken);
  mode.pipeline = false;
  try {
    return await fn(client, broken);
  } finally {
    mode.pipeline = pipelined;
    client.off("error", broken);
    client.release(failure);
  }
}

/**
 * Streams `data`, rows in COPY's text format, into `copy` (`COPY table (…) FROM STDIN`) on an
 * unpipelined client. Rejects with the server's error when a row is refused: the COPY then stored
 * nothing, and the client takes its next statement once the server has finished answering.
 * The data goes in one write: between writes the stream waits for the socket to drain, and one
 * resumed after the server's error had already ended the COPY would find its connection gone.
 */
export function copyIn(client: pg.PoolClient, copy: string, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(copy));
    stream.once("finish", resolve).once("error", reject);
    stream.end(data);
  });
}
