import { createGunzip } from "node:zlib";
import { LIMITS } from "@mcpsight/protocol";
import type { FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import {
  PARSED_BYTES_PER_BYTE,
  PARSED_BYTES_PER_CONTAINER,
  type Reservation,
  TEXT_BYTES_PER_BYTE,
} from "./ingest-budget.js";

const tooLarge = () =>
  new AppError("payload_too_large", `The decompressed body exceeds ${LIMITS.batchBytes} bytes.`);

/**
 * The size a gzip body says it decompresses to (its trailer, modulo 2^32): reserved at once, so
 * concurrent requests are admitted whole or not at all; a body that decompresses to more takes
 * the rest as it comes.
 */
const declaredSize = (body: Buffer): number => (body.length >= 18 ? body.readUInt32LE(body.length - 4) : 0);

/** The smallest output chunk of a decompression (a body may say it decompresses to less than it does). */
const MIN_CHUNK_BYTES = 64 * 1024;

/** Decompresses a gzip body within the protocol's limit, taking memory from the reservation as it grows. */
function gunzip(body: Buffer, reservation: Reservation): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let reserved = Math.min(declaredSize(body), LIMITS.batchBytes);
    try {
      reservation.take(reserved * TEXT_BYTES_PER_BYTE);
    } catch (error) {
      return reject(error);
    }
    // Output chunks hold the declared size and a byte: an honest body comes out in one pass of the
    // thread pool, into one buffer (a full chunk makes zlib pass again, into a new buffer).
    const stream = createGunzip({ chunkSize: Math.max(MIN_CHUNK_BYTES, reserved + 1) });
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: unknown) => {
      stream.destroy();
      reject(error);
    };
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > LIMITS.batchBytes) return fail(tooLarge());
      if (size > reserved) {
        try {
          reservation.take((size - reserved) * TEXT_BYTES_PER_BYTE);
        } catch (error) {
          return fail(error);
        }
        reserved = size;
      }
      chunks.push(chunk);
    });
    stream.on("end", () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)),
    );
    stream.on("error", (error) =>
      fail(
        new AppError("invalid_body", "The body is not valid gzip.", [
          { field: "(root)", reason: error.message },
        ]),
      ),
    );
    stream.end(body);
  });
}

/**
 * How much memory parsing `json` may take (see ingest-budget.ts): a bound from its size and its
 * number of objects and arrays, counted natively (`indexOf`), and no further than `cap` needs.
 */
function parseCost(json: Buffer, cap: number): number {
  let cost = json.length * PARSED_BYTES_PER_BYTE;
  for (const bracket of [0x7b, 0x5b]) {
    for (let at = json.indexOf(bracket); at !== -1 && cost <= cap; at = json.indexOf(bracket, at + 1))
      cost += PARSED_BYTES_PER_CONTAINER;
  }
  return cost;
}

/** A JSON ingest body, decoded: its text, and what parsing it may cost. */
export interface BodyText {
  text: string;
  parseCost: number;
}

/**
 * An ingest body's bytes, plain or `Content-Encoding: gzip`, decompressed within the protocol's
 * limit and the request's share of the ingest memory budget.
 */
export async function bodyBytes(
  request: FastifyRequest,
  raw: Buffer,
  reservation: Reservation,
): Promise<Buffer> {
  const encoding = String(request.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "gzip" && encoding !== "identity")
    throw new AppError(
      "unsupported_media_type",
      `Content-Encoding "${encoding}" is not supported; use gzip or none.`,
    );
  if (encoding === "identity") {
    reservation.take(raw.length * TEXT_BYTES_PER_BYTE);
    return raw;
  }
  return gunzip(raw, reservation);
}

/** The text of a JSON ingest body (see {@link bodyBytes}), and what parsing it may cost. */
export async function bodyText(
  request: FastifyRequest,
  raw: Buffer,
  reservation: Reservation,
): Promise<BodyText> {
  const json = await bodyBytes(request, raw, reservation);
  return { text: json.toString("utf8"), parseCost: parseCost(json, reservation.limit) };
}

/** What decoding a body of `size` bytes into objects may take, at most (JSON's per-byte bound). */
export const decodeCost = (size: number): number => size * PARSED_BYTES_PER_BYTE;

/** Parses JSON text; a 400 naming the problem when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_body", "The body is not valid JSON.", [
      { field: "(root)", reason: (error as Error).message },
    ]);
  }
}
