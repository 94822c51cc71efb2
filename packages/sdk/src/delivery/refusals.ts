import { PATHS } from "@mcpsight/protocol/constants";
import type { Logger } from "../log.js";
import type { Rejection } from "./post-batch.js";

/** Distinct warnings remembered, so a stream of new ones cannot grow memory. */
const MAX_WARNED = 1000;

/**
 * What the collector refused, told to the user once per kind (per refusal code, per unknown
 * project, per status); repeats go to the debug log. Delivery counts and drops; this explains.
 */
export class Refusals {
  private readonly warned = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly endpoint: string,
  ) {}

  /**
   * Events of a stored batch refused one by one (`rejected` of a 2xx answer): returns how many
   * (distinct indexes within the batch), and warns once per refusal code with its first reason.
   */
  events(project: string, count: number, rejected: Rejection[]): number {
    if (rejected.length === 0) return 0;
    const byCode = new Map<string, { first: Rejection; indexes: Set<number> }>();
    const all = new Set<number>();
    for (const rejection of rejected) {
      if (rejection.index < 0 || rejection.index >= count) continue;
      all.add(rejection.index);
      let entry = byCode.get(rejection.code);
      if (!entry) {
        entry = { first: rejection, indexes: new Set() };
        byCode.set(rejection.code, entry);
      }
      entry.indexes.add(rejection.index);
    }
    for (const [code, { first, indexes }] of byCode) {
      this.warnOnce(
        `rejected:${code}`,
        `mcpsight: the collector refused ${indexes.size} of ${count} events for project "${project}" ` +
          `(${code}: ${first.field ? `${first.field} ` : ""}${first.reason}); they are dropped, the others were stored. ` +
          `Further "${code}" refusals are logged at debug level.`,
      );
    }
    return all.size;
  }

  /** A whole batch refused with a 4xx: one warning per project for a 404, per status otherwise. */
  batch(project: string, count: number, status: number, message: string): void {
    if (status === 404 && message.includes('"not_found"')) {
      // No such route: the URL is not a collector's base URL (a path after it, or another server).
      this.warnOnce(
        "404:route",
        `mcpsight: ${this.endpoint} answered HTTP 404 to POST ${PATHS.batch}: it is no mcpsight collector's ` +
          "base URL; events are dropped. Set apiBaseUrl (or MCPSIGHT_URL) to the URL the collector prints " +
          "when it starts, such as http://127.0.0.1:4747, without a path.",
      );
      return;
    }
    if (status === 404) {
      this.warnOnce(
        `404:${project}`,
        `mcpsight: the collector at ${this.endpoint} has no project "${project}" (HTTP 404); ` +
          "its events are dropped. Check the project id passed to track() (`mcpsight project list` shows " +
          "the ids), or create the project with `mcpsight project create <name>` and use the id it prints.",
      );
      return;
    }
    this.warnOnce(
      `refused:${status}`,
      `mcpsight: collector rejected ${count} events with HTTP ${status}; dropping them (a retry would fail the same way). ${message}`,
    );
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) {
      this.logger.debug(message);
      return;
    }
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    this.logger.warn(message);
  }
}
