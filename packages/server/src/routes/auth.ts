import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parseLoginBody } from "../http/params.js";
import type { PublicAccount } from "../http/responses.js";
import { authenticate, login, logout, requireAccount, SESSION_TTL_MS } from "../services/auth.js";
import type { Account, Storage } from "../storage/index.js";

export const SESSION_COOKIE = "mcpsight_session";

declare module "fastify" {
  interface FastifyRequest {
    account: Account | null;
  }
}

const isHttps = (request: FastifyRequest): boolean =>
  request.protocol === "https" ||
  String(request.headers["x-forwarded-proto"] ?? "")
    .split(",")[0]
    ?.trim() === "https";

const publicAccount = (account: Account): PublicAccount => ({
  username: account.username,
  role: account.role,
});

/** Resolves the caller (cookie or bearer token) for every /api request. */
export function registerAuthentication(app: FastifyInstance, storage: Storage): void {
  app.decorateRequest("account", null);
  app.addHook("preHandler", async (request: FastifyRequest) => {
    if (!request.url.startsWith("/api/")) return;
    const header = request.headers.authorization;
    const bearer = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    request.account = await authenticate(storage, { bearer, sessionId: request.cookies[SESSION_COOKIE] });
  });
}

export async function authRoutes(
  app: FastifyInstance,
  options: { storage: Storage; loginLimit: { max: number; timeWindow: number } },
): Promise<void> {
  const { storage } = options;
  app.post("/api/v1/auth/login", { config: { rateLimit: options.loginLimit } }, async (request, reply) => {
    const { username, password } = parseLoginBody(request.body);
    const { account, sessionId } = await login(storage, username, password);
    reply.setCookie(SESSION_COOKIE, sessionId, {
      httpOnly: true,
      sameSite: "lax",
      secure: isHttps(request),
      path: "/",
      maxAge: SESSION_TTL_MS / 1000,
    });
    return { account: publicAccount(account) };
  });

  app.post("/api/v1/auth/logout", async (request: FastifyRequest, reply: FastifyReply) => {
    await logout(storage, request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: isHttps(request),
    });
    return { ok: true };
  });

  app.get("/api/v1/auth/me", async (request) => ({
    account: publicAccount(requireAccount(request.account)),
  }));
}
