import { describe, expect, it } from "vitest";
import { RingQueue } from "./ring-queue.js";

describe("RingQueue", () => {
  it("keeps FIFO order across wrap-around", () => {
    const queue = new RingQueue<number>(3);
    queue.push(1);
    queue.push(2);
    expect(queue.shift()).toBe(1);
    queue.push(3);
    queue.push(4);
    expect(queue.push(5)).toBe(false);
    expect(queue.peek()).toBe(2);
    expect(queue.take(10)).toEqual([2, 3, 4]);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
  });

  it("takes at most the requested count", () => {
    const queue = new RingQueue<number>(5);
    for (const n of [1, 2, 3, 4]) queue.push(n);
    expect(queue.take(2)).toEqual([1, 2]);
    expect(queue.length).toBe(2);
  });

  it("grows past its first slots while wrapped, keeping order, up to its capacity", () => {
    const queue = new RingQueue<number>(5000);
    for (let i = 0; i < 1000; i++) queue.push(i);
    queue.take(600); // the head is now in the middle of the first ring
    for (let i = 1000; i < 5600; i++) queue.push(i);
    expect(queue.length).toBe(5000);
    expect(queue.push(-1)).toBe(false);
    expect(queue.take(5000)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 600));
  });
});
