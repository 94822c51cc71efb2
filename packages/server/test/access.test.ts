import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeResponse, PutMemberResponse } from "../src/http/responses.js";
import type { RunningServer } from "../src/server.js";
import type { ProjectMember, ProjectToken } from "../src/storage/index.js";
import { BACKENDS, type TestDatabase } from "./backends.js";
import {
  ADMIN_TOKEN,
  api,
  derived,
  makeEvent,
  postBatch,
  removeDir,
  startCollector,
  tempDir,
} from "./helpers.js";

/** Who calls: a login cookie, a bearer token, or nobody. */
type As = { cookie: string } | { token: string };

describe.each(BACKENDS)("access for a team ($name)", (backend) => {
  let database: TestDatabase;
  const dir = tempDir();
  let server: RunningServer & { projectId: string };
  let url: string;
  let a: string;
  const b = "proj_other_team";
  const admin: As = { token: ADMIN_TOKEN };
  const passwords: Record<string, string> = {};

  const call = <T = Record<string, unknown>>(as: As | null, method: string, path: string, body?: unknown) =>
    api<T>(url, path, {
      method,
      headers: {
        ...(as && "cookie" in as ? { cookie: as.cookie } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(as && "token" in as ? { token: as.token } : {}),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const signIn = async (username: string, password = passwords[username] as string): Promise<As> => {
    const res = await call(null, "POST", "/api/v1/auth/login", { username, password });
    expect(res.status, `login ${username}`).toBe(200);
    return { cookie: res.headers.get("set-cookie")?.split(";")[0] ?? "" };
  };
  const status = async (as: As, method: string, path: string, body?: unknown) =>
    (await call(as, method, path, body)).status;
  /** Statuses of every read endpoint of a project, by path. */
  const reads = async (as: As, projectId: string) => {
    const result: Record<string, number> = {};
    for (const path of ["overview", "users", "users/u-b", "sessions", "sessions/s-b", "tools", "errors"])
      result[path] = await status(as, "GET", `/api/v1/projects/${projectId}/${path}`);
    return result;
  };
  const projectsOf = async (as: As) =>
    (await call<{ items: { id: string; access: string }[] }>(as, "GET", "/api/v1/projects")).body.items.map(
      (p) => [p.id, p.access],
    );
  const addMember = async (by: As, projectId: string, username: string, role: string) =>
    call<PutMemberResponse>(by, "PUT", `/api/v1/projects/${projectId}/members/${username}`, { role });

  beforeAll(async () => {
    database = await backend.create();
    server = await startCollector(dir, database.url);
    url = server.url;
    a = server.projectId;
    await server.storage.createProject({ id: b, name: "Other team" });
    for (const projectId of [a, b])
      await postBatch(url, [makeEvent(projectId, { sessionId: "s-b", identifyActorGivenId: "u-b" })]);
    // The reads below expect the user and the session: derived, not only stored.
    await derived(url);
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
    removeDir(dir);
  });

  it("a global admin adds members; a new account gets a generated password, shown once", async () => {
    const vic = await addMember(admin, a, "vic", "viewer");
    expect(vic.status).toBe(200);
    expect(vic.body.member).toEqual({ username: "vic", role: "viewer", accountRole: "member" });
    expect(vic.body.password).toEqual(expect.any(String));
    passwords.vic = vic.body.password as string;
    const pam = await addMember(admin, a, "pam", "admin");
    passwords.pam = pam.body.password as string;
    const again = await addMember(admin, a, "vic", "viewer");
    expect(again.body).toEqual({
      member: { username: "vic", role: "viewer", accountRole: "member" },
      password: null,
    });
    const members = await call<{ items: ProjectMember[] }>(admin, "GET", `/api/v1/projects/${a}/members`);
    expect(members.body.items.map((m) => [m.username, m.role])).toEqual([
      ["pam", "admin"],
      ["vic", "viewer"],
    ]);
  });

  it("a viewer of A reads A, not B, and manages nothing", async () => {
    const vic = await signIn("vic");
    expect(await projectsOf(vic)).toEqual([[a, "viewer"]]);
    expect(Object.values(await reads(vic, a))).toEqual(Array(7).fill(200));
    expect(Object.values(await reads(vic, b))).toEqual(Array(7).fill(404));
    expect(await status(vic, "GET", `/api/v1/projects/${a}/members`)).toBe(403);
    expect(await status(vic, "PUT", `/api/v1/projects/${a}/members/mallory`, { role: "admin" })).toBe(403);
    expect(await status(vic, "DELETE", `/api/v1/projects/${a}/members/pam`)).toBe(403);
    expect(await status(vic, "GET", `/api/v1/projects/${a}/tokens`)).toBe(403);
    expect(await status(vic, "POST", `/api/v1/projects/${a}/tokens`, { name: "mine" })).toBe(403);
    expect(await status(vic, "DELETE", `/api/v1/projects/${a}/users/u-b`)).toBe(403);
    // B is answered as if it did not exist, for managing too.
    expect(await status(vic, "GET", `/api/v1/projects/${b}/members`)).toBe(404);
    expect(await status(admin, "GET", `/api/v1/projects/${a}/users/u-b`)).toBe(200);
  });

  it("a project admin of A manages A's members and tokens, and erases A's users, but not B's", async () => {
    const pam = await signIn("pam");
    expect(await projectsOf(pam)).toEqual([[a, "admin"]]);
    expect(Object.values(await reads(pam, b))).toEqual(Array(7).fill(404));
    const added = await addMember(pam, a, "quinn", "viewer");
    expect(added.status).toBe(200);
    expect(await status(pam, "PUT", `/api/v1/projects/${a}/members/quinn`, { role: "admin" })).toBe(200);
    expect(await status(pam, "DELETE", `/api/v1/projects/${a}/members/quinn`)).toBe(200);
    expect(await status(pam, "DELETE", `/api/v1/projects/${a}/members/quinn`)).toBe(404);
    const created = await call<{ token: ProjectToken; secret: string }>(
      pam,
      "POST",
      `/api/v1/projects/${a}/tokens`,
      {
        name: "grafana",
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.token).toMatchObject({ projectId: a, name: "grafana", createdBy: "pam" });
    expect(created.body.secret).toMatch(/^mpt_/);
    const listed = await call<{ items: ProjectToken[] }>(pam, "GET", `/api/v1/projects/${a}/tokens`);
    expect(listed.body.items).toEqual([created.body.token]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    for (const [method, path, body] of [
      ["GET", "members"],
      ["PUT", "members/pam", { role: "admin" }],
      ["GET", "tokens"],
      ["POST", "tokens", { name: "x" }],
      ["DELETE", "users/u-b"],
    ] as const)
      expect(await status(pam, method, `/api/v1/projects/${b}/${path}`, body), `${method} ${path}`).toBe(404);
    await postBatch(url, [makeEvent(a, { sessionId: "s-erase", identifyActorGivenId: "erase-me" })]);
    expect(await status(pam, "DELETE", `/api/v1/projects/${a}/users/erase-me`)).toBe(200);
  });

  it("a project token reads only its project and manages nothing; revoked, it fails", async () => {
    const created = await call<{ token: ProjectToken; secret: string }>(
      admin,
      "POST",
      `/api/v1/projects/${a}/tokens`,
      {
        name: "reader",
      },
    );
    const token: As = { token: created.body.secret };
    expect(await projectsOf(token)).toEqual([[a, "viewer"]]);
    const me = await call<MeResponse>(token, "GET", "/api/v1/auth/me");
    expect(me.body).toEqual({
      account: null,
      token: { id: created.body.token.id, name: "reader", projectId: a },
    });
    expect(Object.values(await reads(token, a))).toEqual(Array(7).fill(200));
    expect(Object.values(await reads(token, b))).toEqual(Array(7).fill(404));
    expect(await status(token, "GET", `/api/v1/projects/${a}/members`)).toBe(403);
    expect(await status(token, "POST", `/api/v1/projects/${a}/tokens`, { name: "more" })).toBe(403);
    expect(await status(token, "DELETE", `/api/v1/projects/${a}/tokens/${created.body.token.id}`)).toBe(403);
    expect(await status(token, "DELETE", `/api/v1/projects/${a}/users/u-b`)).toBe(403);
    expect(
      await status(token, "POST", "/api/v1/auth/password", {
        currentPassword: "x",
        newPassword: "long enough",
      }),
    ).toBe(403);
    // A token is revoked only in its own project.
    const id = created.body.token.id;
    expect(await status(admin, "DELETE", `/api/v1/projects/${b}/tokens/${id}`)).toBe(404);
    expect(await status(token, "GET", `/api/v1/projects/${a}/users`)).toBe(200);
    expect(await status(admin, "DELETE", `/api/v1/projects/${a}/tokens/${id}`)).toBe(200);
    expect(await status(token, "GET", `/api/v1/projects/${a}/users`)).toBe(401);
    expect(await status(token, "GET", "/api/v1/projects")).toBe(401);
    const gone = await call(admin, "DELETE", `/api/v1/projects/${a}/tokens/${id}`);
    expect(gone).toMatchObject({ status: 404, body: { error: { code: "token_not_found" } } });
  });

  it("removing a member ends its access at once", async () => {
    const vic = await signIn("vic");
    expect(await status(vic, "GET", `/api/v1/projects/${a}/users`)).toBe(200);
    expect(await status(admin, "DELETE", `/api/v1/projects/${a}/members/vic`)).toBe(200);
    expect(await status(vic, "GET", `/api/v1/projects/${a}/users`)).toBe(404);
    expect(await projectsOf(vic)).toEqual([]);
    const again = await call(admin, "DELETE", `/api/v1/projects/${a}/members/vic`);
    expect(again).toMatchObject({ status: 404, body: { error: { code: "member_not_found" } } });
  });

  it("rejects a bad role, username or token name with a 400 naming the field", async () => {
    const field = async (method: string, path: string, body: unknown) =>
      (
        await call<{ error: { details: { field: string }[] } }>(
          admin,
          method,
          `/api/v1/projects/${a}/${path}`,
          body,
        )
      ).body.error?.details?.[0]?.field;
    expect(await field("PUT", "members/someone", { role: "owner" })).toBe("role");
    expect(await field("PUT", "members/someone", {})).toBe("role");
    expect(await field("PUT", "members/two%20words", { role: "viewer" })).toBe("username");
    expect(await field("POST", "tokens", {})).toBe("name");
    expect(await field("POST", "tokens", { name: "x".repeat(101) })).toBe("name");
  });

  it("changing a password ends the account's other logins and keeps this one", async () => {
    const here = await signIn("pam");
    const elsewhere = await signIn("pam");
    const change = (body: unknown) =>
      call<{ error?: { details: { field: string }[] } }>(here, "POST", "/api/v1/auth/password", body);
    const wrong = await change({ currentPassword: "not it", newPassword: "a new password" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.details[0]?.field).toBe("currentPassword");
    const short = await change({ currentPassword: passwords.pam, newPassword: "short" });
    expect(short.body.error?.details[0]?.field).toBe("newPassword");
    expect(await status(elsewhere, "GET", "/api/v1/auth/me")).toBe(200);
    expect((await change({ currentPassword: passwords.pam, newPassword: "a new password" })).status).toBe(
      200,
    );
    expect(await status(elsewhere, "GET", "/api/v1/auth/me")).toBe(401);
    expect(await status(here, "GET", "/api/v1/auth/me")).toBe(200);
    const old = await call(null, "POST", "/api/v1/auth/login", { username: "pam", password: passwords.pam });
    expect(old.status).toBe(401);
    passwords.pam = "a new password";
    await signIn("pam");
  });

  it("counts wrong current passwords against the login limit", async () => {
    const pam = await signIn("pam");
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        await status(pam, "POST", "/api/v1/auth/password", {
          currentPassword: "guess",
          newPassword: "whatever123",
        }),
      );
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses[10]).toBe(429);
  });
});
