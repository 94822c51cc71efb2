import { hash } from "node:crypto";

/**
 * What an erasure's tombstone stores for an erased user or session id: a digest, so that the
 * erased id itself is kept nowhere, while the pass can still recognise (and drop) late events
 * carrying it.
 */
export const tombstoneKey = (id: string): string => hash("sha256", id, "base64url");
