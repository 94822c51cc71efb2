/**
 * Flushes on `beforeExit`. The listener is installed only while events are pending and removed
 * when it fires, so a collector that stays down cannot make Node emit `beforeExit` forever (each
 * emission would start another flush, which would empty the loop and emit again).
 */
export class ExitFlush {
  private armed = false;
  private readonly listener = (): void => {
    this.armed = false;
    this.onExit();
  };

  constructor(private readonly onExit: () => void) {}

  /** Cheap enough to call on every enqueue. */
  arm(): void {
    if (this.armed) return;
    this.armed = true;
    process.once("beforeExit", this.listener);
  }

  disarm(): void {
    if (!this.armed) return;
    this.armed = false;
    process.removeListener("beforeExit", this.listener);
  }
}
