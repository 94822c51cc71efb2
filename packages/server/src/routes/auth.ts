import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, WrongPasswordError } from "../errors.js";
import { parseBodyStrings } from "../http/params.js";
import type { MeResponse, PublicAccount } from "../http/responses.js";
import { bearerToken } from "../http/security.js";
import {
  authenticate,
  changePassword,
  login,
  logout,
  type Principal,
  requireAccount,
  requirePrincipal,
  SESSION_TTL_MS,
} from "../services/auth.js";
import { DEFAULT_LOGIN_LIMIT, LoginLimiter, type LoginLimitOptions } from "../services/login-limit.js";
import type { Account, Storage } from "../storage/index.js";

export const SESSION_COOKIE = "mcpsight_session";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
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

/** Resolves the caller (bearer token or login cookie) for every /api request. */
export function registerAuthentication(app: FastifyInstance, storage: Storage): void {
  app.decorateRequest("principal", null);
  app.addHook("preHandler", async (request: FastifyRequest) => {
    if (!request.url.startsWith("/api/")) return;
    request.principal = await authenticate(storage, {
      bearer: bearerToken(request.headers.authorization),
      sessionId: request.cookies[SESSION_COOKIE],
    });
  });
}

/**
 * Wrong passwords are limited per (address, account) and per address (services/login-limit.ts).
 * The address is `request.ip`: the peer, or with --trust-proxy the address the proxy saw.
 */
function limited(limiter: LoginLimiter, request: FastifyRequest, reply: FastifyReply, username: string) {
  const retryAfter = limiter.retryAfter(request.ip, username);
  if (retryAfter > 0) {
    reply.header("retry-after", String(retryAfter));
    throw new AppError("rate_limited", `Too many wrong passwords. Try again in ${retryAfter} s.`);
  }
}

/** Runs a password check; a wrong password counts against the (address, account) pair. */
async function counted<T>(
  limiter: LoginLimiter,
  request: FastifyRequest,
  username: string,
  check: () => Promise<T>,
): Promise<T> {
  try {
    const result = await check();
    limiter.succeed(request.ip, username);
    return result;
  } catch (error) {
    if (error instanceof WrongPasswordError) limiter.fail(request.ip, username);
    throw error;
  }
}

export async function authRoutes(
  app: FastifyInstance,
  options: { storage: Storage; loginLimit?: LoginLimitOptions | undefined },
): Promise<void> {
  const { storage } = options;
  const limiter = new LoginLimiter(options.loginLimit ?? DEFAULT_LOGIN_LIMIT);
  const cookieOptions = (request: FastifyRequest) =>
    ({ httpOnly: true, sameSite: "lax", secure: isHttps(request), path: "/" }) as const;

  app.post("/api/v1/auth/login", async (request, reply) => {
    const { username, password } = parseBodyStrings(request.body, ["username", "password"]);
    limited(limiter, request, reply, username);
    const { account, sessionId } = await counted(limiter, request, username, () =>
      login(storage, username, password),
    );
    reply.setCookie(SESSION_COOKIE, sessionId, { ...cookieOptions(request), maxAge: SESSION_TTL_MS / 1000 });
    return { account: publicAccount(account) };
  });

  app.post("/api/v1/auth/logout", async (request: FastifyRequest, reply: FastifyReply) => {
    await logout(storage, request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return { ok: true };
  });

  app.get("/api/v1/auth/me", async (request): Promise<MeResponse> => {
    const caller = requirePrincipal(request.principal);
    return caller.kind === "account"
      ? { account: publicAccount(caller.account), token: null }
      : {
          account: null,
          token: { id: caller.token.id, name: caller.token.name, projectId: caller.token.projectId },
        };
  });

  app.post("/api/v1/auth/password", async (request, reply) => {
    const caller = requireAccount(request.principal);
    const { currentPassword, newPassword } = parseBodyStrings(request.body, [
      "currentPassword",
      "newPassword",
    ]);
    const { username } = caller.account;
    limited(limiter, request, reply, username);
    await counted(limiter, request, username, () =>
      changePassword(storage, caller, currentPassword, newPassword),
    );
    return { ok: true };
  });
}
