import { gzipSync } from "node:zlib";
import { LIMITS } from "@mcpsight/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import type { ProjectItem } from "../src/http/responses.js";
import type { RunningServer } from "../src/server.js";
import { BACKENDS } from "./backends.js";
import {
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  api,
  derived,
  makeEvent,
  postBatch,
  removeDir,
  startCollector,
  suiteCollector,
  tempDir,
} from "./helpers.js";
import { oddEvents } from "./odd-events.js";

describe.each(BACKENDS)("collector over HTTP ($name)", (backend) => {
  const collector = suiteCollector(backend);
  let server: RunningServer & { projectId: string };
  let url: string;
  let projectId: string;

  beforeAll(() => {
    server = collector.server;
    ({ url, projectId } = server);
  });

  it("answers /healthz with the ingest rate and how far derivation is behind", async () => {
    await postBatch(url, [makeEvent(projectId, { sessionId: "health" })]);
    await derived(url);
    expect(await api(url, "/healthz")).toMatchObject({
      status: 200,
      body: {
        status: "ok",
        ingest: { eventsPerSecond: expect.any(Number) },
        derivation: { pending: 0, lagMs: 0, dataAsOf: expect.any(String), lastError: null },
      },
    });
  });

  it("stores a batch and ignores duplicates on retry", async () => {
    const events = [
      makeEvent(projectId, { sessionId: "retry" }),
      makeEvent(projectId, { sessionId: "retry" }),
    ];
    expect((await postBatch(url, events)).body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await postBatch(url, events)).body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    await derived(url);
    const timeline = await api<{ events: unknown[] }>(url, `/api/v1/projects/${projectId}/sessions/retry`, {
      token: ADMIN_TOKEN,
    });
    expect(timeline.body.events).toHaveLength(2);
  });

  it("accepts gzip bodies", async () => {
    const body = gzipSync(JSON.stringify({ events: [makeEvent(projectId, { sessionId: "gz" })] }));
    const res = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    expect(res).toMatchObject({ status: 200, body: { accepted: 1 } });
  });

  it("answers 404 to a gzip body sent to a path no route has (an SDK with a wrong base URL)", async () => {
    const body = JSON.stringify({ events: [makeEvent(projectId, { sessionId: "gz-404" })] });
    const notFound = {
      status: 404,
      body: { error: { code: "not_found", message: "No route POST /sub/v1/batch.", details: null } },
    };
    for (const gzip of [false, true]) {
      const res = await api(url, "/sub/v1/batch", {
        method: "POST",
        headers: { "content-type": "application/json", ...(gzip ? { "content-encoding": "gzip" } : {}) },
        body: gzip ? gzipSync(body) : body,
      });
      expect(res, gzip ? "gzip" : "plain").toMatchObject(notFound);
    }
  });

  it("rejects bad events with index, code, field and reason, storing the others", async () => {
    const good = makeEvent(projectId, { sessionId: "per-event" });
    const res = await postBatch(url, [good, { ...makeEvent(projectId), timestamp: "yesterday" }]);
    expect(res).toMatchObject({
      status: 200,
      body: {
        accepted: 1,
        duplicates: 0,
        rejected: [{ index: 1, code: "invalid_event", field: "timestamp", reason: expect.any(String) }],
      },
    });
    await derived(url);
    const timeline = await api<{ events: unknown[] }>(
      url,
      `/api/v1/projects/${projectId}/sessions/per-event`,
      {
        token: ADMIN_TOKEN,
      },
    );
    expect(timeline.body.events).toHaveLength(1);
  });

  it("rejects bad envelopes as a whole with field and reason, storing nothing", async () => {
    const res = await postBatch(url, [makeEvent(projectId, { sessionId: "atomic" })], { droppedEvents: -1 });
    expect(res).toMatchObject({
      status: 400,
      body: {
        error: { code: "invalid_batch", details: [{ field: "droppedEvents", reason: expect.any(String) }] },
      },
    });
    const timeline = await api(url, `/api/v1/projects/${projectId}/sessions/atomic`, { token: ADMIN_TOKEN });
    expect(timeline.status).toBe(404);
    const notJson = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(notJson).toMatchObject({ status: 400, body: { error: { code: "invalid_body" } } });
    const badGzip = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: "not gzip",
    });
    expect(badGzip.status).toBe(400);
  });

  it("answers 404 for unknown projects, 415 for non-JSON and 413 for oversized bodies", async () => {
    const unknown = await postBatch(url, [makeEvent("proj_nope")]);
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "project_not_found" } } });
    const text = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(text).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
    const huge = "x".repeat(17 * 1024 * 1024);
    const big = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"events":[],"pad":"${huge}"}`,
    });
    expect(big).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 32));
    const zipped = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: bomb,
    });
    expect(zipped.status).toBe(413);
  });

  it("requires authentication to read", async () => {
    expect((await api(url, "/api/v1/projects")).status).toBe(401);
    expect((await api(url, "/api/v1/projects", { token: "msk_wrong" })).status).toBe(401);
    expect((await api(url, `/api/v1/projects/${projectId}/users`)).status).toBe(401);
    const projects = await api<{ items: ProjectItem[] }>(url, "/api/v1/projects", {
      token: ADMIN_TOKEN,
    });
    const project = projects.body.items[0];
    expect(project?.snippet).toContain(projectId);
    // One snippet per SDK, each naming this project and this collector.
    expect(project?.snippets.map((s) => s.language)).toEqual(["typescript", "python", "go"]);
    for (const snippet of project?.snippets ?? []) {
      expect(snippet.code).toContain(`"${projectId}"`);
      expect(snippet.code).toContain(`"${url}"`);
      expect(snippet.install).not.toBe("");
    }
  });

  it("logs in with a cookie (HttpOnly, SameSite=Lax, Secure behind https) and out", async () => {
    const login = (password: string, headers: Record<string, string> = {}) =>
      api(url, "/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ username: "admin", password }),
      });
    expect((await login("wrong")).status).toBe(401);
    const ok = await login(ADMIN_PASSWORD);
    expect(ok.body).toEqual({ account: { username: "admin", role: "admin" } });
    const cookie = ok.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/mcpsight_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const secure = await login(ADMIN_PASSWORD, { "x-forwarded-proto": "https" });
    expect(secure.headers.get("set-cookie")).toMatch(/Secure/);
    const session = cookie.split(";")[0] ?? "";
    expect((await api(url, "/api/v1/auth/me", { headers: { cookie: session } })).status).toBe(200);
    await api(url, "/api/v1/auth/logout", { method: "POST", headers: { cookie: session } });
    expect((await api(url, "/api/v1/auth/me", { headers: { cookie: session } })).status).toBe(401);
  });

  it("validates query parameters", async () => {
    const bad = await api(url, `/api/v1/projects/${projectId}/users?from=2026-02-01&to=2026-01-01`, {
      token: ADMIN_TOKEN,
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "invalid_query" } } });
    const cursor = await api(url, `/api/v1/projects/${projectId}/sessions?cursor=zzz`, {
      token: ADMIN_TOKEN,
    });
    expect(cursor.status).toBe(400);
  });

  it("answers odd query values with data or a 400 naming the field, never a 500", async () => {
    await postBatch(url, oddEvents(projectId, 20));
    await derived(url);
    // Raw query text: NUL, bytes that are not UTF-8, emoji, long text, LIKE and quote
    // characters, numbers no time or database integer holds, a date past Date's range.
    const values = [
      "x%00y",
      "%ED%A0%80",
      encodeURIComponent("💥".repeat(300)),
      "a".repeat(3000),
      encodeURIComponent(`%_\\'"`),
      "99999999999999999999",
      "-1",
      encodeURIComponent("+275760-09-13T00:00:00.001Z"),
    ];
    const params = ["from", "to", "bucket", "limit", "cursor", "search", "sort", "userId", "client", "tool"];
    const paths = [
      "overview",
      "users",
      "users/u%00x",
      "sessions",
      "sessions/s%ED%A0%80",
      "tools",
      "errors",
      "intents",
    ];
    const failures: string[] = [];
    for (const path of paths)
      for (const param of [...params, "hasError", "stateless", "anonymous", "type"])
        for (const value of values) {
          const query = `/api/v1/projects/${projectId}/${path}?${param}=${value}`;
          const { status, body } = await api<{ error?: { code?: string; details?: { field: string }[] } }>(
            url,
            query,
            {
              token: ADMIN_TOKEN,
            },
          );
          if (status >= 500) failures.push(`${status} ${query.slice(0, 120)}`);
          const named = path.includes("%ED")
            ? body.error?.code === "invalid_path" // the path, not the query, is what is wrong
            : param === "cursor" || body.error?.details?.[0]?.field === param;
          if (status === 400 && !named) failures.push(`400 without naming ${param}: ${query.slice(0, 120)}`);
        }
    expect(failures).toEqual([]);
  }, 120_000); // 896 requests, one after the other

  it("rejects events nested deeper than the protocol allows, naming the field, however deep", async () => {
    for (const depth of [LIMITS.jsonDepth + 1, 100_000]) {
      const event = JSON.stringify(makeEvent(projectId, { parameters: "NESTED" }));
      const body = `{"events":[${event.replace('"NESTED"', `${"[".repeat(depth)}${"]".repeat(depth)}`)}]}`;
      const { status, body: answer } = await api(url, "/v1/batch", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect({ status, answer }).toMatchObject({
        status: 200,
        answer: { accepted: 0, rejected: [{ index: 0, code: "invalid_event", field: "parameters" }] },
      });
    }
  });

  it("opens users and sessions by ids as long as the protocol allows", async () => {
    const userId = "u".repeat(LIMITS.nameLength);
    const sessionId = "s".repeat(LIMITS.sessionIdLength);
    expect(
      (await postBatch(url, [makeEvent(projectId, { sessionId, identifyActorGivenId: userId })])).status,
    ).toBe(200);
    await derived(url);
    const base = `/api/v1/projects/${projectId}`;
    const profile = await api<{ user: { userId: string } }>(url, `${base}/users/${userId}`, {
      token: ADMIN_TOKEN,
    });
    expect(profile).toMatchObject({ status: 200, body: { user: { userId } } });
    const timeline = await api(url, `${base}/sessions/${sessionId}`, { token: ADMIN_TOKEN });
    expect(timeline.status).toBe(200);
    // Longer than any stored id, or not UTF-8: a 400 in the collector's error shape.
    for (const path of [`${base}/users/${userId}u`, `${base}/users/%ED%A0%80`]) {
      const { status, body } = await api(url, path, { token: ADMIN_TOKEN });
      expect({ status, body }).toMatchObject({
        status: 400,
        body: { error: { code: "invalid_path", details: null } },
      });
    }
  });

  it("erases a user through the API", async () => {
    await postBatch(url, [makeEvent(projectId, { sessionId: "erase-me", identifyActorGivenId: "eve" })]);
    await derived(url);
    const res = await api(url, `/api/v1/projects/${projectId}/users/eve`, {
      method: "DELETE",
      token: ADMIN_TOKEN,
    });
    expect(res.body).toEqual({ deleted: { users: 1, sessions: 1, events: 1 } });
    expect((await api(url, `/api/v1/projects/${projectId}/users/eve`, { token: ADMIN_TOKEN })).status).toBe(
      404,
    );
  });

  it("rate-limits wrong passwords per address and account", async () => {
    let last = 0;
    for (let i = 0; i < 12; i++) {
      last = (
        await api(url, "/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "admin", password: "nope" }),
        })
      ).status;
    }
    expect(last).toBe(429);
  });
});

describe.each(BACKENDS)("restart ($name)", (backend) => {
  it("reads the data back after a restart; secrets are not regenerated", async () => {
    const dir = tempDir();
    const database = await backend.create();
    try {
      const first = await startCollector(dir, database.url);
      expect(first.bootstrap.firstStart).toBe(true);
      await postBatch(first.url, [
        makeEvent(first.projectId, { sessionId: "persist", identifyActorGivenId: "kim" }),
      ]);
      await first.close();
      const second = await startCollector(dir, database.url);
      expect(second.bootstrap).toMatchObject({ firstStart: false, password: null, token: null });
      // Events acknowledged before the restart are derived after it, if not before.
      await derived(second.url);
      expect(second.projectId).toBe(first.projectId);
      const user = await api(second.url, `/api/v1/projects/${second.projectId}/users/kim`, {
        token: ADMIN_TOKEN,
      });
      expect(user).toMatchObject({ status: 200, body: { user: { userId: "kim", sessions: 1 } } });
      await second.close();
    } finally {
      await database.drop();
      removeDir(dir);
    }
  });
});
