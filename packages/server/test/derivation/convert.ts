import { eventSchema } from "@mcpsight/protocol";
import { type EventFacts, toEventInput } from "./scenario.js";

/** Scenario facts as validated protocol events of `projectId`, ready for `ingestEvents`. */
export const asEvents = (facts: EventFacts[], projectId = "p1") =>
  facts.map((f) => eventSchema.parse(toEventInput(f, projectId)));

/** Facts with the keys a store would give them in this order (what the reference takes). */
export const withPks = (facts: EventFacts[]) => facts.map((f, i) => ({ ...f, pk: i + 1 }));
