/**
 * Waits until `done()` holds: checked at once, after every chunk this process derives
 * (`subscribe`), and every `pollMs` for chunks other processes derive. Rejects after `timeoutMs`
 * with `describe()` (the pass's last error, if any) in the message.
 */
export function waitUntil(
  done: () => Promise<boolean>,
  options: {
    subscribe?: (listener: () => void) => () => void;
    timeoutMs: number;
    pollMs?: number;
    describe: () => Promise<string>;
  },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let checking = false;
    let again = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      clearInterval(poll);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (settled) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      done().then(
        (ok) => {
          checking = false;
          if (ok) finish();
          else if (again) {
            again = false;
            check();
          }
        },
        (error: Error) => {
          checking = false;
          finish(error);
        },
      );
    };
    const unsubscribe = options.subscribe?.(check);
    const poll = setInterval(check, options.pollMs ?? 100);
    const deadline = setTimeout(() => {
      options.describe().then(
        (why) => finish(new Error(`derivation did not catch up within ${options.timeoutMs} ms${why}`)),
        () => finish(new Error(`derivation did not catch up within ${options.timeoutMs} ms`)),
      );
    }, options.timeoutMs);
    check();
  });
}
