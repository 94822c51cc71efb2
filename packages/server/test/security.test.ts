import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server.js";
import { BACKENDS } from "./backends.js";
import { ADMIN_PASSWORD, ADMIN_TOKEN, api, removeDir, spawnCli, startCollector, tempDir } from "./helpers.js";

type Collector = RunningServer & { projectId: string };

/** Logs in; `headers` may carry X-Forwarded-For or Origin. Returns the status and the cookie. */
async function login(
  url: string,
  password: string,
  options: { username?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; cookie: string }> {
  const res = await api(url, "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify({ username: options.username ?? "admin", password }),
  });
  return { status: res.status, cookie: res.headers.get("set-cookie")?.split(";")[0] ?? "" };
}

const wrongTimes = async (url: string, times: number, headers: (i: number) => Record<string, string>) => {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await login(url, "wrong", { headers: headers(i) })).status);
  return statuses;
};

describe("login rate limit behind a trusted proxy", () => {
  const dir = tempDir();
  let server: Collector;
  beforeAll(async () => {
    server = await startCollector(dir, undefined, { trustProxy: true });
  });
  afterAll(async () => {
    await server.close();
    removeDir(dir);
  });

  it("keys on the address the proxy saw, not the left-most X-Forwarded-For the client sent", async () => {
    // The proxy appends the address it saw (203.0.113.7); the client rotates what it claims before it.
    const statuses = await wrongTimes(server.url, 40, (i) => ({
      "x-forwarded-for": `10.9.${i}.1, 203.0.113.7`,
    }));
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(30).fill(429));
  });

  it("cannot lock the owner out from elsewhere: the right password from another address works", async () => {
    // The attacker claims the owner's address; the proxy appends the attacker's real one.
    const statuses = await wrongTimes(server.url, 12, () => ({
      "x-forwarded-for": "198.51.100.1, 203.0.113.66",
    }));
    expect(statuses.at(-1)).toBe(429);
    const owner = await login(server.url, ADMIN_PASSWORD, { headers: { "x-forwarded-for": "198.51.100.1" } });
    expect(owner.status).toBe(200);
    // The attacker's own address stays limited, even with the right password (no oracle).
    const attacker = await login(server.url, ADMIN_PASSWORD, {
      headers: { "x-forwarded-for": "203.0.113.66" },
    });
    expect(attacker.status).toBe(429);
  });
});

describe("login rate limit by address and account", () => {
  const dir = tempDir();
  let server: Collector;
  beforeAll(async () => {
    server = await startCollector(dir);
  });
  afterAll(async () => {
    await server.close();
    removeDir(dir);
  });

  it("limits one account from one address; another account from that address still signs in", async () => {
    const statuses = await wrongTimes(server.url, 11, () => ({}));
    expect(statuses.at(-1)).toBe(429);
    const response = await api(server.url, "/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another account on the same address is not locked by the attempts on "admin".
    const other = await login(server.url, "wrong", { username: "someone-else" });
    expect(other.status).toBe(401);
  });
});

describe("cross-origin requests authenticated by cookie", () => {
  const dir = tempDir();
  const proxiedDir = tempDir();
  let server: Collector;
  let proxied: Collector;
  let cookie: string;
  beforeAll(async () => {
    server = await startCollector(dir, undefined, { publicUrl: "https://analytics.example.com/" });
    proxied = await startCollector(proxiedDir, undefined, { trustProxy: true });
    cookie = (await login(server.url, ADMIN_PASSWORD)).cookie;
  });
  afterAll(async () => {
    await server.close();
    await proxied.close();
    removeDir(dir);
    removeDir(proxiedDir);
  });

  const erase = (target: Collector, headers: Record<string, string>) =>
    api(target.url, `/api/v1/projects/${target.projectId}/users/nobody`, { method: "DELETE", headers });

  it("refuses a cross-origin DELETE with the cookie, by Origin or by Sec-Fetch-Site", async () => {
    const byOrigin = await erase(server, { cookie, origin: "https://evil.example" });
    expect(byOrigin).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    const bySite = await erase(server, { cookie, "sec-fetch-site": "cross-site" });
    expect(bySite.status).toBe(403);
    const sameSite = await erase(server, { cookie, "sec-fetch-site": "same-site" });
    expect(sameSite.status).toBe(403);
    // Logging out someone else's session is a state change too.
    const logout = await api(server.url, "/api/v1/auth/logout", {
      method: "POST",
      headers: { cookie, origin: "https://evil.example" },
    });
    expect(logout.status).toBe(403);
    expect((await api(server.url, "/api/v1/auth/me", { headers: { cookie } })).status).toBe(200);
  });

  it("accepts same-origin requests, the public URL's origin, and token-authenticated ones", async () => {
    const same = await erase(server, { cookie, origin: server.url, "sec-fetch-site": "same-origin" });
    expect(same).toMatchObject({ status: 404, body: { error: { code: "user_not_found" } } });
    const publicOrigin = await erase(server, { cookie, origin: "https://analytics.example.com" });
    expect(publicOrigin.status).toBe(404);
    // No Origin and no Sec-Fetch-Site: not a browser, so not a forged request.
    expect((await erase(server, { cookie })).status).toBe(404);
    const token = await erase(server, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      origin: "https://evil.example",
    });
    expect(token.status).toBe(404);
  });

  it("computes the expected origin from X-Forwarded-* only with --trust-proxy", async () => {
    const headers = {
      origin: "https://dash.example.org",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "dash.example.org",
    };
    const proxiedCookie = (await login(proxied.url, ADMIN_PASSWORD)).cookie;
    expect((await erase(proxied, { ...headers, cookie: proxiedCookie })).status).toBe(404);
    // Without --trust-proxy, anyone can send those headers: the request's own Host decides.
    expect((await erase(server, { ...headers, cookie })).status).toBe(403);
  });
});

describe("security headers and the bearer scheme", () => {
  const dir = tempDir();
  let server: Collector;
  const dashboard = resolve(fileURLToPath(import.meta.url), "../../../dashboard/dist");
  beforeAll(async () => {
    server = await startCollector(dir, undefined, {
      dashboardDir: existsSync(join(dashboard, "index.html")) ? dashboard : null,
    });
  });
  afterAll(async () => {
    await server.close();
    removeDir(dir);
  });

  it("sends CSP, frame-ancestors, nosniff and a referrer policy on the dashboard, the API and errors", async () => {
    expect(existsSync(join(dashboard, "index.html")), "build the dashboard first").toBe(true);
    for (const path of ["/", "/api/v1/auth/me", "/api/v1/nope", "/healthz"]) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("cross-origin-opener-policy"), path).toBe("same-origin");
    }
  });

  it("accepts the Bearer scheme in any case (RFC 7235)", async () => {
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const res = await api(server.url, "/api/v1/projects", {
        headers: { authorization: `${scheme} ${ADMIN_TOKEN}` },
      });
      expect(res.status, scheme).toBe(200);
    }
    expect(
      (await api(server.url, "/api/v1/projects", { headers: { authorization: `Basic ${ADMIN_TOKEN}` } }))
        .status,
    ).toBe(401);
  });
});

describe.each(BACKENDS)("admin password reset by restart ($name)", (backend) => {
  it("ends existing logins when the password changes, and keeps them when it does not", async () => {
    const dir = tempDir();
    const database = await backend.create();
    try {
      let server = await startCollector(dir, database.url);
      const { cookie } = await login(server.url, ADMIN_PASSWORD);
      await server.close();
      // The same password on every start (a fixed environment) is not a reset.
      server = await startCollector(dir, database.url);
      expect((await api(server.url, "/api/v1/auth/me", { headers: { cookie } })).status).toBe(200);
      await server.close();
      server = await startCollector(dir, database.url, { adminPassword: "a brand new password" });
      expect((await api(server.url, "/api/v1/auth/me", { headers: { cookie } })).status).toBe(401);
      expect((await login(server.url, "a brand new password")).status).toBe(200);
      expect((await login(server.url, ADMIN_PASSWORD)).status).toBe(401);
      await server.close();
    } finally {
      await database.drop();
      removeDir(dir);
    }
  });
});

const mode = (path: string) => statSync(path).mode & 0o777;

/** Runs `mcpsight start` under umask 000 until it prints its banner. */
async function startUnderOpenUmask(dataDir: string) {
  const run = spawnCli(["start", "--port", "0", "--data-dir", dataDir], {
    umask: "000",
    env: { MCPSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD, MCPSIGHT_LOG_LEVEL: "info" },
  });
  await run.waitFor(/listening on/);
  return {
    stderr: run.stderr,
    stop: async () => {
      run.child.kill("SIGTERM");
      await run.closed;
    },
  };
}

describe("files private to the collector's user", () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it("creates the data directory 0700 and every database file 0600, whatever the umask", async () => {
    const dataDir = join(root, "fresh", "data");
    const collector = await startUnderOpenUmask(dataDir);
    try {
      expect(mode(dataDir).toString(8)).toBe("700");
      for (const file of ["mcpsight.db", "mcpsight.db-wal", "mcpsight.db-shm"]) {
        expect(existsSync(join(dataDir, file)), file).toBe(true);
        expect(mode(join(dataDir, file)).toString(8), file).toBe("600");
      }
    } finally {
      await collector.stop();
    }
  });

  it("tightens an existing data directory and database file at start, with a log line", async () => {
    const dataDir = join(root, "loose");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    let collector = await startUnderOpenUmask(dataDir);
    await collector.stop();
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, "mcpsight.db"), 0o644);
    collector = await startUnderOpenUmask(dataDir);
    try {
      expect(mode(dataDir).toString(8)).toBe("700");
      expect(mode(join(dataDir, "mcpsight.db")).toString(8)).toBe("600");
      expect(collector.stderr()).toMatch(/data directory .*0755.*0700|0755 to 0700/);
    } finally {
      await collector.stop();
    }
  });
});
