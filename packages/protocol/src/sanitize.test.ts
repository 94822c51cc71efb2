import { describe, expect, it } from "vitest";
import { REDACTED } from "./constants.js";
import { clip, isSecretKey, sanitize, truncate } from "./sanitize.js";

describe("sanitize", () => {
  it.each([
    "token",
    "access_token",
    "Password",
    "passwd",
    "client_secret",
    "api_key",
    "apiKey",
    "api-key",
    "X-Api-Key",
    "Authorization",
    "cookie",
    "Set-Cookie",
    "session",
    "sessionId",
    "private_key",
    "accessKey",
    "credentials",
  ])("treats %s as a secret key", (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(["query", "author", "name", "path"])("keeps %s", (key) => {
    expect(isSecretKey(key)).toBe(false);
  });

  it("redacts string and object values under secret keys but keeps numbers", () => {
    expect(sanitize({ password: "p", max_tokens: 100, credentials: { user: "u" }, q: "x" })).toEqual({
      password: REDACTED,
      max_tokens: 100,
      credentials: REDACTED,
      q: "x",
    });
  });

  it("replaces credentials in values, binary content and base64 blobs", () => {
    const out = sanitize({
      header: "Bearer abcdefghijklmnop",
      content: [
        { type: "image", data: "AAAA", mimeType: "image/png" },
        { type: "audio", data: "BBBB" },
      ],
      resource: { blob: "CCCC" },
      encoded: "QUJD".repeat(100),
      url: "data:image/png;base64,AAAA",
    }) as Record<string, unknown>;
    expect(out.header).toBe(REDACTED);
    expect(JSON.stringify(out)).not.toMatch(/AAAA|BBBB|CCCC|QUJD/);
    expect(out.content).toEqual([
      { type: "image", data: "[image omitted, 4 chars]", mimeType: "image/png" },
      { type: "audio", data: "[audio omitted, 4 chars]" },
    ]);
  });

  it("keeps long prose without punctuation and detects line-wrapped base64", () => {
    const prose = "lorem ipsum dolor sit amet ".repeat(20);
    const wrapped = `${"QUJD".repeat(19)}\n`.repeat(5);
    expect(sanitize({ prose, wrapped })).toEqual({
      prose,
      wrapped: `[base64 data, ${wrapped.length} chars]`,
    });
  });

  it("makes cyclic and exotic values plain JSON and truncates long strings", () => {
    const cyclic: Record<string, unknown> = { when: new Date(0), big: 10n, fn: () => 1 };
    cyclic.self = cyclic;
    expect(sanitize(cyclic)).toEqual({ when: "1970-01-01T00:00:00.000Z", big: "10", self: "[circular]" });
    const long = truncate("x".repeat(100), 50);
    expect(long).toHaveLength(50);
    expect(long).toContain("truncated");
  });

  it("never cuts an emoji in half", () => {
    // "😀" is two UTF-16 units; every cut point falls before, inside or after one.
    const text = "ab😀😀😀".repeat(20);
    for (let max = 1; max < text.length; max++) {
      const cut = clip(text, max);
      expect(cut.isWellFormed(), `clip at ${max}`).toBe(true);
      expect(text.startsWith(cut)).toBe(true);
      expect(cut.length === max || cut.length === max - 1).toBe(true);
      const note = truncate(text, max + 40);
      expect(note.isWellFormed(), `truncate at ${max + 40}`).toBe(true);
    }
    expect(clip("a😀", 2)).toBe("a");
    expect(clip("a😀", 3)).toBe("a😀");
  });
});

describe("sanitize, as the other SDKs behave", () => {
  it("keeps a __proto__ key as an ordinary entry", () => {
    const out = sanitize(JSON.parse('{"__proto__": {"token": "t", "x": 1}, "a": 2}'));
    expect(JSON.stringify(out)).toBe('{"__proto__":{"token":"[REDACTED]","x":1},"a":2}');
  });

  it("recognises a data URL whatever the case of its scheme", () => {
    expect(sanitize(["DATA:image/png;base64,AAAA", "Data:;base64,AA"])).toEqual([
      "[data URL, 26 chars]",
      "[data URL, 15 chars]",
    ]);
  });
});
