import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 32;
const COST = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const derive = (password: string, salt: Buffer, params = COST): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, params, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** Hashes a password with scrypt: `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(password, Buffer.from(salt, "base64url"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: COST.maxmem,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random secret with a readable prefix (`msk_…` tokens, session ids, passwords). */
export const randomSecret = (prefix = "", bytes = 24): string =>
  `${prefix}${randomBytes(bytes).toString("base64url")}`;

/** A public id: `prefix` + `length` random base-32 characters (unguessable, readable). */
export function randomId(prefix: string, length = 12): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return `${prefix}${[...randomBytes(length)].map((b) => alphabet[b % 32]).join("")}`;
}

/** Tokens and session ids are high-entropy, so a fast hash is enough to store them. */
export const hashSecret = (secret: string): string => createHash("sha256").update(secret).digest("hex");
