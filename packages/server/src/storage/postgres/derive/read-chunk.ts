import type pg from "pg";
import type { ChunkEvent } from "../../derive/pass.js";
import { DERIVE_COLUMNS, parsedOnce } from "../../shared/derive-event.js";
import { errorKeyOf } from "../../shared/error-key.js";
import type { JsonObject } from "../../types.js";
import { copyOut } from "./pass-copy.js";

/**
 * The events after the cursor as the pass reads them: COPY's text format, one line per event,
 * the fields of `DERIVE_COLUMNS` (the payloads only of errors, whose key needs them), and the
 * appending transaction last (the cursor needs only the chunk's last one). One COPY hands over the chunk as a
 * few buffers, decoded at once and cut with `indexOf`: a row per event through `pg`'s row parser
 * costs the pass several times as much (a message, an array, an object and a string per field).
 */
const COLUMNS = `${DERIVE_COLUMNS}, e.txid`;

export interface ReadChunk {
  events: ChunkEvent[];
  /** The transaction of the last event (the cursor's). */
  lastTxid: string;
}

/**
 * Up to `limit` events after the cursor `(txid, pk)`, in cursor order: only events of
 * transactions that have all ended (below the oldest one still running), so a slow commit of a
 * lower txid is never skipped. `projectIds` gives the public id of each project key read.
 */
export async function readChunk(
  client: pg.PoolClient,
  cursor: { txid: string; pk: number },
  limit: number,
  projectIds: (pks: number[]) => Promise<Map<number, string>>,
): Promise<ReadChunk | null> {
  // COPY takes no parameters: the cursor is written into the statement, checked to be numbers.
  if (!/^\d+$/.test(cursor.txid) || !Number.isSafeInteger(cursor.pk) || !Number.isSafeInteger(limit))
    throw new Error(`derivation: unexpected cursor ${cursor.txid}/${cursor.pk}`);
  const text = await copyOut(
    client,
    `COPY (SELECT ${COLUMNS} FROM events e
       WHERE (e.txid, e.pk) > ('${cursor.txid}'::xid8, ${cursor.pk}::bigint)
         AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.txid, e.pk LIMIT ${limit}) TO STDOUT`,
  );
  if (text.length === 0) return null;
  return parseChunk(text, projectIds);
}

const TAB = 9;
const BACKSLASH = 92;
const DIGIT_0 = 48;
const MINUS = 45;
const T = 116;

/** COPY text's escapes: `\\`, `\n`, `\t`… (and, not written by COPY TO, octal and `\x` hex). */
const ESCAPE = /\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/gs;
const LETTERS: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
const decoded = (field: string): string =>
  field.replace(ESCAPE, (_, octal?: string, hex?: string, char?: string) =>
    octal !== undefined
      ? String.fromCharCode(Number.parseInt(octal, 8))
      : hex !== undefined
        ? String.fromCharCode(Number.parseInt(hex, 16))
        : (LETTERS[char as string] ?? (char as string)),
  );

/**
 * Decodes the COPY text of a chunk into events. Text fields are `slice`s of the chunk's text
 * (escapes decoded where a backslash shows one); whole numbers are read digit by digit; identity
 * data repeated across the chunk's events is parsed once and shared (it is only read).
 */
export async function parseChunk(
  text: string,
  projectIds: (pks: number[]) => Promise<Map<number, string>>,
): Promise<ReadChunk> {
  const events: ChunkEvent[] = [];
  const actorData = new Map<string, JsonObject | null>();
  let at = 0;
  let end = 0;
  let lastTxid = "";
  // Where the next backslash is (escapes are rare: most chunks have none, found in one scan).
  let backslash = text.indexOf("\\");

  // Per column, its value in the event before: events of a session follow each other, and most
  // columns repeat (type, client, server, identity), so most fields are that string again, not
  // a new one for the collector to keep through the chunk.
  const previous: (string | null)[] = [];
  /** The next field of column `column` as text (null for `\N`), up to its tab or the line's end. */
  const field = (column: number): string | null => {
    let stop = text.indexOf("\t", at);
    if (stop === -1 || stop > end) stop = end;
    const start = at;
    at = stop + 1;
    if (stop - start === 2 && text.charCodeAt(start) === BACKSLASH && text.charCodeAt(start + 1) === 78)
      return null;
    if (backslash !== -1 && backslash < start) backslash = text.indexOf("\\", start);
    // With an escape, the text is not the value: decoded, never compared.
    if (backslash !== -1 && backslash < stop) return decoded(text.slice(start, stop));
    const before = previous[column];
    if (before != null && before.length === stop - start && text.startsWith(before, start)) return before;
    const value = text.slice(start, stop);
    previous[column] = value;
    return value;
  };
  /** The next field as a whole number (bigint columns; never null here). */
  const integer = (): number => {
    const start = at;
    let value = 0;
    let i = start;
    const negative = text.charCodeAt(i) === MINUS;
    if (negative) i++;
    for (let c = text.charCodeAt(i); c !== TAB && i < end; c = text.charCodeAt(++i))
      value = value * 10 + c - DIGIT_0;
    at = i + 1;
    // Past 15 digits a running total may round differently from Number(): let it parse those.
    if (i - start > 15) return Number(text.slice(start, i));
    return negative ? -value : value;
  };
  const flag = (): boolean => {
    const value = text.charCodeAt(at) === T;
    at = text.indexOf("\t", at) + 1;
    return value;
  };

  while (at < text.length) {
    end = text.indexOf("\n", at);
    if (end === -1) end = text.length;
    const pk = integer();
    const projectPk = integer();
    const id = field(0) as string;
    const ts = integer();
    const receivedAt = integer();
    const type = field(1) as string;
    const tool = field(2);
    const durationText = field(3);
    const isError = flag();
    const error = field(4);
    const response = field(5);
    const sessionId = field(6);
    const stateless = flag();
    const correlationId = field(7);
    const actorId = field(8);
    const actorName = field(9);
    const actorText = field(10);
    const data = actorText === null ? null : parsedOnce(actorData, actorText);
    const clientName = field(11);
    const clientVersion = field(12);
    const serverName = field(13);
    const serverVersion = field(14);
    // The transaction, last on the line: read for the chunk's last event only.
    if (end === text.length || end === text.length - 1) lastTxid = text.slice(at, end);
    events.push({
      pk,
      id,
      ts,
      type,
      tool,
      duration: durationText === null ? null : Number(durationText),
      isError,
      errorKey: isError
        ? errorKeyOf(
            tool,
            type,
            error === null ? null : JSON.parse(error),
            response === null ? null : JSON.parse(response),
          )
        : null,
      sessionId,
      stateless,
      correlationId,
      actorId,
      actorName,
      actorData: data,
      clientName,
      clientVersion,
      serverName,
      serverVersion,
      projectPk,
      projectId: "",
      receivedAt,
    });
    at = end + 1;
  }
  const pks = new Set<number>();
  for (const e of events) pks.add(e.projectPk);
  const ids = await projectIds([...pks]);
  for (const e of events) e.projectId = ids.get(e.projectPk) as string;
  return { events, lastTxid };
}
