/**
 * Events acknowledged per second over the last `windowSeconds`, counted in one-second slots:
 * the ingest rate `/healthz` reports.
 */
export class IngestRate {
  private slots: number[];
  private current = 0;
  private at = Math.floor(Date.now() / 1000);

  constructor(private readonly windowSeconds = 10) {
    this.slots = new Array(windowSeconds).fill(0);
  }

  add(events: number, now = Date.now()): void {
    this.advance(now);
    this.slots[this.current] = (this.slots[this.current] as number) + events;
  }

  /** The average over the window's completed seconds. */
  perSecond(now = Date.now()): number {
    this.advance(now);
    let total = 0;
    for (let i = 0; i < this.windowSeconds; i++) if (i !== this.current) total += this.slots[i] as number;
    return Math.round(total / (this.windowSeconds - 1));
  }

  private advance(now: number): void {
    const second = Math.floor(now / 1000);
    const steps = Math.min(second - this.at, this.windowSeconds);
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % this.windowSeconds;
      this.slots[this.current] = 0;
    }
    if (second > this.at) this.at = second;
  }
}
