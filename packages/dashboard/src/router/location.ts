/**
 * Hash-based locations (`#/p/default/users?range=7d`), so deep links work whatever the host
 * serves for unknown paths. Pure functions; the hook lives in `use-location.ts`.
 */

export interface Location {
  /** Path inside the hash, always starting with `/`. */
  path: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Location {
  const raw = hash.startsWith("#") ? hash.slice(1) : hash;
  const q = raw.indexOf("?");
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  const queryPart = q === -1 ? "" : raw.slice(q + 1);
  const path = pathPart.startsWith("/") ? pathPart : `/${pathPart}`;
  return { path: path.length > 1 ? path.replace(/\/+$/, "") : path, query: new URLSearchParams(queryPart) };
}

export type QueryValues = Record<string, string | number | boolean | null | undefined>;

/** Builds `#/path?query`, dropping empty values so URLs stay short and stable. */
export function buildHref(path: string, query?: URLSearchParams | QueryValues): string {
  const params = new URLSearchParams();
  if (query instanceof URLSearchParams) {
    for (const [k, v] of query) if (v !== "") params.set(k, v);
  } else if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === null || v === undefined || v === "" || v === false) continue;
      params.set(k, String(v));
    }
  }
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

/** Returns a copy of `query` with `changes` applied; `null`/`undefined`/`""`/`false` remove a key. */
export function withQuery(query: URLSearchParams, changes: QueryValues): URLSearchParams {
  const next = new URLSearchParams(query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "" || v === false) next.delete(k);
    else next.set(k, String(v));
  }
  return next;
}

/** Keeps only the keys that belong in every page's URL (the time range), for links across pages. */
export function sharedQuery(query: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams();
  for (const key of ["range", "from", "to"]) {
    const v = query.get(key);
    if (v) next.set(key, v);
  }
  return next;
}
