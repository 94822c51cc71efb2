/** Lets flush() sleep until a batch settles instead of polling. */
export class Progress {
  private waiters: (() => void)[] = [];

  /**
   * Resolves on the next notify() or after `timeoutMs`. `keepAlive: false` unrefs the timer so a
   * waiting flush never holds the process open by itself.
   */
  wait(timeoutMs: number, keepAlive: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      if (!keepAlive) timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
