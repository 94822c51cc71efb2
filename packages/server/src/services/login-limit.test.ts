import { describe, expect, it } from "vitest";
import { LoginLimiter } from "./login-limit.js";

describe("LoginLimiter", () => {
  const options = { perAccount: 3, perAddress: 5, windowMs: 60_000 };

  it("limits an account from one address after perAccount wrong passwords, for the rest of the window", () => {
    const limiter = new LoginLimiter(options);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter("a", "admin", 1000)).toBe(0);
      limiter.fail("a", "admin", 1000);
    }
    expect(limiter.retryAfter("a", "admin", 1000)).toBe(60);
    expect(limiter.retryAfter("a", "admin", 31_000)).toBe(30);
    expect(limiter.retryAfter("a", "admin", 61_000)).toBe(0);
  });

  it("leaves the account free from other addresses and other accounts free from this one", () => {
    const limiter = new LoginLimiter(options);
    for (let i = 0; i < 3; i++) limiter.fail("a", "admin", 0);
    expect(limiter.retryAfter("b", "admin", 0)).toBe(0);
    expect(limiter.retryAfter("a", "alice", 0)).toBe(0);
  });

  it("limits an address trying many accounts after perAddress wrong passwords", () => {
    const limiter = new LoginLimiter(options);
    for (let i = 0; i < 5; i++) limiter.fail("a", `user${i}`, 0);
    expect(limiter.retryAfter("a", "someone-new", 0)).toBe(60);
    expect(limiter.retryAfter("b", "someone-new", 0)).toBe(0);
  });

  it("forgets a pair's wrong passwords after a right one", () => {
    const limiter = new LoginLimiter(options);
    for (let i = 0; i < 2; i++) limiter.fail("a", "admin", 0);
    limiter.succeed("a", "admin");
    for (let i = 0; i < 2; i++) limiter.fail("a", "admin", 0);
    expect(limiter.retryAfter("a", "admin", 0)).toBe(0);
  });

  it("keeps at most maxKeys windows under a flood of addresses", () => {
    const limiter = new LoginLimiter({ ...options, maxKeys: 1000 });
    for (let i = 0; i < 20_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, "x".repeat(10_000), 0);
    expect(limiter.size).toBeLessThanOrEqual(1000);
  });
});
