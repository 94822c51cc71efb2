/** How many wrong passwords are allowed per window. */
export interface LoginLimitOptions {
  /** Wrong passwords for one account from one address (default 10). */
  perAccount: number;
  /** Wrong passwords for any accounts from one address (default 100). */
  perAddress: number;
  /** The window, in milliseconds (default one minute). */
  windowMs: number;
  /** Most keys kept in memory; the oldest go first beyond it (default 100,000). */
  maxKeys?: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = { perAccount: 10, perAddress: 100, windowMs: 60_000 };

interface Window {
  failures: number;
  resetAt: number;
}

/**
 * Counts wrong passwords per (address, account) and per address, in fixed windows. A limited
 * pair is refused before its password is checked (so the limit is no oracle), while the same
 * account from another address, or another account from this address, still signs in: an
 * attacker cannot lock the owner out from elsewhere. In memory, per collector process.
 */
export class LoginLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxKeys: number;

  constructor(private readonly options: LoginLimitOptions = DEFAULT_LOGIN_LIMIT) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Keys held (for tests of the memory bound). */
  get size(): number {
    return this.windows.size;
  }

  /** Seconds until `address` may try `username` again, or 0 when it may now. */
  retryAfter(address: string, username: string, now = Date.now()): number {
    const waits = [
      this.waitOf(pairKey(address, username), this.options.perAccount, now),
      this.waitOf(addressKey(address), this.options.perAddress, now),
    ];
    return Math.max(...waits);
  }

  /** Records a wrong password. */
  fail(address: string, username: string, now = Date.now()): void {
    this.count(pairKey(address, username), now);
    this.count(addressKey(address), now);
  }

  /** A right password clears the pair's count (an owner's typos do not accumulate). */
  succeed(address: string, username: string): void {
    this.windows.delete(pairKey(address, username));
  }

  private waitOf(key: string, max: number, now: number): number {
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now || window.failures < max) return 0;
    return Math.ceil((window.resetAt - now) / 1000);
  }

  private count(key: string, now: number): void {
    const window = this.windows.get(key);
    if (window && window.resetAt > now) {
      window.failures++;
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { failures: 1, resetAt: now + this.options.windowMs });
    if (this.windows.size > this.maxKeys) this.prune(now);
  }

  /** Drops expired windows, then the oldest, so memory stays bounded under a flood of addresses. */
  private prune(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size <= this.maxKeys * 0.9) break;
      this.windows.delete(key);
    }
  }
}

/** Usernames are at most 64 characters; a longer one (never an account) is keyed by its start. */
const pairKey = (address: string, username: string) => `u\u0000${address}\u0000${username.slice(0, 100)}`;
const addressKey = (address: string) => `a\u0000${address}`;
