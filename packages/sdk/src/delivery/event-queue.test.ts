import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue.js";

const fill = (entries: [project: string, text: string][]): EventQueue => {
  const queue = new EventQueue(100);
  for (const [i, [project, text]] of entries.entries()) queue.push(project, text, Buffer.byteLength(text), i);
  return queue;
};

describe("EventQueue", () => {
  it("takes the oldest events grouped by project, in order of first appearance", () => {
    const queue = fill([
      ["b", '"b1"'],
      ["a", '"a1"'],
      ["b", '"b2"'],
      ["a", '"a2"'],
      ["c", '"c1"'],
    ]);
    expect(queue.take(4, 1000)).toEqual([
      { project: "b", texts: ['"b1"', '"b2"'], bytes: 8, numbers: [0, 2] },
      { project: "a", texts: ['"a1"', '"a2"'], bytes: 8, numbers: [1, 3] },
    ]);
    expect(queue.length).toBe(1);
    expect(queue.bytes).toBe(4);
  });

  it("stops before the byte limit (one separator per event), but always takes one event", () => {
    const queue = fill([
      ["a", "x".repeat(10)],
      ["a", "y".repeat(10)],
      ["a", "z".repeat(50)],
    ]);
    expect(queue.take(10, 22).map((group) => group.texts.length)).toEqual([2]);
    expect(queue.take(10, 5).map((group) => group.texts)).toEqual([["z".repeat(50)]]);
    expect(queue.bytes).toBe(0);
  });

  it("counts bytes as events come and go, and hands back the numbers of those dropped", () => {
    const queue = fill([
      ["a", "é"],
      ["a", "abc"],
    ]);
    expect(queue.bytes).toBe(5);
    expect(queue.dropOldest()).toBe(0);
    expect(queue.bytes).toBe(3);
    expect(queue.clear()).toEqual([1]);
    expect(queue.dropOldest()).toBeUndefined();
    expect(queue.bytes).toBe(0);
  });
});
