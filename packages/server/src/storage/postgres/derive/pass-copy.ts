import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { copyIn as copyInto } from "../copy.js";

/**
 * COPY on the pass's client, which is pipelined (db.ts): `pg` refuses COPY there, since a
 * statement written behind it would be read as part of the copy. Every earlier statement of the
 * client must have been answered; the client is out of pipeline mode for the COPY only.
 */
async function unpipelined<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  // `pipeline` is read at each query.
  const mode = client as unknown as { pipeline: boolean };
  const pipelined = mode.pipeline;
  mode.pipeline = false;
  try {
    return await fn();
  } finally {
    mode.pipeline = pipelined;
  }
}

/** Runs a `COPY … TO STDOUT` and returns its text. */
export function copyOut(client: pg.PoolClient, copy: string): Promise<string> {
  return unpipelined(
    client,
    () =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const stream = client.query(copyTo(copy));
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        stream.once("error", reject);
      }),
  );
}

/** Runs a `COPY … FROM STDIN` with `data` (rows in the format the COPY names) in one write. */
export function copyIn(client: pg.PoolClient, copy: string, data: string | Buffer): Promise<void> {
  return unpipelined(client, () => copyInto(client, copy, data));
}
