import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";

/**
 * The dashboard loads only its own scripts and styles (no inline script or style, no eval) and
 * talks only to its own origin; no page may frame it. JSON responses carry the same policy.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  // Dashboard URLs name users and sessions: never send them to another site.
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** The `Bearer` credential of an Authorization header; the scheme is case-insensitive (RFC 7235). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^bearer[ \t]+(\S+)[ \t]*$/i);
  return match?.[1];
}

/**
 * The origins a same-origin request of the dashboard carries: the request's own (its scheme and
 * Host — from X-Forwarded-Proto/Host only when the proxy is trusted, which Fastify's
 * `request.protocol`/`request.host` already decide) and the `--public-url`'s, if set.
 */
export function expectedOrigins(request: FastifyRequest, publicUrl: string | undefined): Set<string> {
  const origins = new Set<string>();
  for (const candidate of [publicUrl, `${request.protocol}://${request.host}`]) {
    if (!candidate) continue;
    try {
      origins.add(new URL(candidate).origin);
    } catch {
      // A Host header that is no host: it matches no Origin.
    }
  }
  return origins;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses a state-changing /api request that a browser sent from another origin. Browsers mark
 * where a request comes from with `Sec-Fetch-Site` (or, older ones, `Origin`), and a page cannot
 * forge either; a request with neither is no browser's, so no forgery of a login cookie. Requests
 * authenticated by a bearer token need no check: no browser attaches one by itself.
 */
function assertSameOrigin(request: FastifyRequest, publicUrl: string | undefined): void {
  if (SAFE_METHODS.has(request.method) || !request.url.startsWith("/api/")) return;
  if (bearerToken(request.headers.authorization)) return;
  const site = request.headers["sec-fetch-site"];
  if (site === "same-origin" || site === "none") return;
  const origin = request.headers.origin;
  if (site === undefined && origin === undefined) return;
  if (site === undefined && origin && expectedOrigins(request, publicUrl).has(origin.toLowerCase())) return;
  throw new AppError(
    "forbidden",
    `Cross-origin request refused (${site ? `Sec-Fetch-Site: ${site}` : `Origin: ${origin}`}). Use the dashboard on its own origin${publicUrl ? ` (${publicUrl})` : ""}, or send Authorization: Bearer <token>.`,
  );
}

/** Security headers on every response, and the cross-origin check on state-changing API calls. */
export function registerSecurity(app: FastifyInstance, options: { publicUrl?: string | undefined }): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.headers(HEADERS);
    assertSameOrigin(request, options.publicUrl);
  });
}
