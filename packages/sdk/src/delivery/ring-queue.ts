/**
 * A fixed-capacity FIFO over a preallocated array. Push and shift are O(1) and allocate nothing,
 * so enqueueing on the tool-call path costs one slot write.
 */
export class RingQueue<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Adds at the tail. The caller makes room first; a push on a full queue is ignored and returns false. */
  push(item: T): boolean {
    if (this.size === this.capacity) return false;
    this.slots[(this.head + this.size) % this.capacity] = item;
    this.size += 1;
    return true;
  }

  /** Removes the oldest item, if any. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size -= 1;
    return item;
  }

  /** Removes up to `count` oldest items into a new array (the batch), releasing their slots. */
  take(count: number): T[] {
    const n = Math.min(count, this.size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const index = (this.head + i) % this.capacity;
      out[i] = this.slots[index] as T;
      this.slots[index] = undefined;
    }
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
    return out;
  }
}
