import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { RequestView } from "./request-view.js";
import { deriveSessionId, SessionStore } from "./session-id.js";
import { SDK_VERSION } from "./version.js";

describe("sessions", () => {
  it("derives stable ids from the transport session id and project", () => {
    expect(deriveSessionId("p", "abc")).toBe(deriveSessionId("p", "abc"));
    expect(deriveSessionId("p", "abc")).not.toBe(deriveSessionId("q", "abc"));
    expect(deriveSessionId("p", "abc")).not.toContain("abc");
  });

  it("starts a new session after 30 minutes of inactivity", () => {
    const store = new SessionStore("p");
    const view = new RequestView({ sessionId: "t-1" });
    const first = store.resolve(view, undefined, undefined, 0).state;
    expect(store.resolve(view, undefined, undefined, 29 * 60_000).state).toBe(first);
    const later = store.resolve(view, undefined, undefined, 60 * 60_000).state;
    expect(later?.id).not.toBe(first?.id);
  });

  it("one session per connection; stateless for HTTP without a session id or when forced", () => {
    const store = new SessionStore("p");
    const connection = {};
    const none = new RequestView({});
    expect(store.resolve(none, connection, undefined, 0).state).toBe(
      store.resolve(none, connection, undefined, 1).state,
    );
    expect(store.resolve(none, {}, undefined, 0).state).not.toBe(
      store.resolve(none, connection, undefined, 1).state,
    );
    expect(
      store.resolve(new RequestView({ requestInfo: { headers: {} } }), connection, undefined, 0).stateless,
    ).toBe(true);
    expect(store.resolve(new RequestView({ sessionId: "s" }), connection, true, 0).stateless).toBe(true);
  });
});

describe("session memory", () => {
  const view = (id: string) => new RequestView({ sessionId: id });

  it("forgets HTTP sessions idle past the timeout as new sessions arrive", () => {
    const store = new SessionStore("p", 1000);
    for (let i = 0; i < 100; i++) store.resolve(view(`old-${i}`), undefined, undefined, i);
    store.resolve(view("old-99"), undefined, undefined, 1500); // still active
    expect(store.size).toBe(100);
    store.resolve(view("new"), undefined, undefined, 2000);
    expect(store.size).toBe(2);
    expect(store.peek("old-0")).toBeUndefined();
    expect(store.peek("old-99")).toBeDefined();
  });

  it("never holds more than its cap of active sessions, forgetting the least recently active", () => {
    const store = new SessionStore("p", 60_000, 50);
    for (let i = 0; i < 10_000; i++) store.resolve(view(`s-${i}`), undefined, undefined, i);
    expect(store.size).toBe(50);
    expect(store.peek("s-9999")).toBeDefined();
    expect(store.peek("s-9949")).toBeUndefined();
    // Activity keeps a session: s-9950 is touched, so s-9951 is the next one forgotten.
    const kept = store.resolve(view("s-9950"), undefined, undefined, 10_000).state;
    store.resolve(view("newcomer"), undefined, undefined, 10_001);
    expect(store.peek("s-9950")).toBe(kept);
    expect(store.peek("s-9951")).toBeUndefined();
    expect(store.size).toBe(50);
  });
});

describe("version", () => {
  it("matches package.json", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
