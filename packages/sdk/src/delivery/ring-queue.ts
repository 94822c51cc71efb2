/** Slots a queue starts with; it doubles as it fills, up to its capacity. */
const INITIAL_SLOTS = 1024;

/**
 * A bounded FIFO over a ring of slots. Push and shift are O(1) and allocate nothing once the ring
 * has grown to what the traffic needs, so enqueueing on the tool-call path costs one slot write.
 * The ring starts small and doubles when full: a queue bounded at 100,000 items that never holds
 * more than a few hundred costs a few kilobytes, not a 100,000-slot array.
 */
export class RingQueue<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.slots = packed<T>(Math.max(1, Math.min(capacity, INITIAL_SLOTS)));
  }

  get length(): number {
    return this.size;
  }

  /** Adds at the tail. The caller makes room first; a push on a full queue is ignored and returns false. */
  push(item: T): boolean {
    if (this.size === this.capacity) return false;
    if (this.size === this.slots.length) this.grow();
    this.slots[(this.head + this.size) % this.slots.length] = item;
    this.size += 1;
    return true;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  /** Removes the oldest item, if any. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.size -= 1;
    return item;
  }

  /** Removes up to `count` oldest items into a new array (the batch), releasing their slots. */
  take(count: number): T[] {
    const n = Math.min(count, this.size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift() as T;
    return out;
  }

  private grow(): void {
    const next = packed<T>(Math.min(this.capacity, this.slots.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}

/** An array of `length` undefined slots, filled so the engine keeps it a plain (fast) array. */
function packed<T>(length: number): (T | undefined)[] {
  const slots: (T | undefined)[] = [];
  for (let i = 0; i < length; i++) slots.push(undefined);
  return slots;
}
