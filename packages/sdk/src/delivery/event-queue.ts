import { RingQueue } from "./ring-queue.js";

/** Events of one project taken from the queue for one batch. */
export interface ProjectEvents {
  project: string;
  /** The events' JSON texts, oldest first. */
  texts: string[];
  /** Bytes of those texts (UTF-8). */
  bytes: number;
  /** The numbers the delivery accepted them with. */
  numbers: number[];
}

/**
 * Events waiting for a batch, oldest first: each as its JSON text (a flat string, cheap to keep
 * across garbage collections), with its project, its size in UTF-8 bytes, which the delivery
 * holds to its byte budget, and the number the delivery accepted it with.
 */
export class EventQueue {
  private readonly texts: RingQueue<string>;
  private readonly projects: RingQueue<string>;
  private readonly sizes: RingQueue<number>;
  private readonly numbers: RingQueue<number>;
  /** Bytes of every queued text. */
  bytes = 0;

  constructor(capacity: number) {
    this.texts = new RingQueue(capacity);
    this.projects = new RingQueue(capacity);
    this.sizes = new RingQueue(capacity);
    this.numbers = new RingQueue(capacity);
  }

  get length(): number {
    return this.texts.length;
  }

  /** Adds an event; the caller has made room (see the delivery's bounds). */
  push(project: string, text: string, bytes: number, number: number): void {
    if (!this.texts.push(text)) return;
    this.projects.push(project);
    this.sizes.push(bytes);
    this.numbers.push(number);
    this.bytes += bytes;
  }

  /** Drops the oldest event; returns its number, undefined when there is none. */
  dropOldest(): number | undefined {
    if (this.texts.shift() === undefined) return undefined;
    this.projects.shift();
    this.bytes -= this.sizes.shift() ?? 0;
    return this.numbers.shift();
  }

  /**
   * Removes the oldest events, at most `maxEvents` of them and `maxBytes` of JSON counting a
   * separator each (always at least one event), grouped by project in order of first appearance.
   */
  take(maxEvents: number, maxBytes: number): ProjectEvents[] {
    const groups = new Map<string, ProjectEvents>();
    let count = 0;
    let bytes = 0;
    while (count < maxEvents && this.length > 0) {
      const size = (this.sizes.peek() ?? 0) + 1;
      if (count > 0 && bytes + size > maxBytes) break;
      const text = this.texts.shift() as string;
      const project = this.projects.shift() as string;
      const eventBytes = this.sizes.shift() ?? 0;
      const number = this.numbers.shift() as number;
      this.bytes -= eventBytes;
      count += 1;
      bytes += size;
      let group = groups.get(project);
      if (!group) {
        group = { project, texts: [], bytes: 0, numbers: [] };
        groups.set(project, group);
      }
      group.texts.push(text);
      group.bytes += eventBytes;
      group.numbers.push(number);
    }
    return [...groups.values()];
  }

  /** Removes everything; returns the numbers of the events dropped. */
  clear(): number[] {
    const numbers: number[] = [];
    for (let number = this.dropOldest(); number !== undefined; number = this.dropOldest())
      numbers.push(number);
    return numbers;
  }
}
