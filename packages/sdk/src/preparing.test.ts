import { describe, expect, it } from "vitest";
import { preparedSoFar, preparingDone, preparingStarted } from "./preparing.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `promise` has settled, after letting pending reactions run. */
async function settled(promise: Promise<void> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await turn();
  return done;
}

describe("preparing epochs", () => {
  it("nothing to wait for when no event is being prepared", () => {
    expect(preparedSoFar()).toBeUndefined();
    preparingDone(preparingStarted());
    expect(preparedSoFar()).toBeUndefined();
  });

  it("a wait covers the events started before it, not those started after", async () => {
    const before = preparingStarted();
    const waiting = preparedSoFar();
    const after = preparingStarted();
    expect(await settled(waiting)).toBe(false);
    preparingDone(before);
    expect(await settled(waiting)).toBe(true);
    preparingDone(after);
  });

  it("a later wait also covers events still open from before an earlier one", async () => {
    const oldest = preparingStarted();
    const first = preparedSoFar();
    const newer = preparingStarted();
    const second = preparedSoFar();
    preparingDone(newer);
    expect(await settled(second)).toBe(false);
    preparingDone(oldest);
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(true);
    expect(preparedSoFar()).toBeUndefined();
  });

  it("events finishing in any order settle their epoch once all are done", async () => {
    const events = [preparingStarted(), preparingStarted(), preparingStarted()];
    const waiting = preparedSoFar();
    for (const epoch of [events[2], events[0]]) preparingDone(epoch);
    expect(await settled(waiting)).toBe(false);
    preparingDone(events[1]);
    expect(await settled(waiting)).toBe(true);
  });
});
