import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Account, Params, Project } from "../api";
import { resolveRange, type TimeRange } from "../lib/time-range";
import { buildHref, type QueryValues, sharedQuery, withQuery } from "../router";

/** What every project page needs: the project, the URL state and link builders. */
export interface PageContext {
  account: Account;
  project: Project;
  projects: Project[];
  path: string;
  query: URLSearchParams;
  range: TimeRange;
}

export const PageCtx = createContext<PageContext | null>(null);

export function usePage(): PageContext {
  const ctx = useContext(PageCtx);
  if (!ctx) throw new Error("usePage() outside a project page");
  return ctx;
}

/** `from`/`to` for the API, resolved now (so relative ranges slide with live refresh). */
export function rangeParams(range: TimeRange): Params {
  const { from, to } = resolveRange(range);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** Link to the same page with some query keys changed (filters, sort, cursor). */
export function hrefWith(ctx: PageContext, changes: QueryValues): string {
  return buildHref(ctx.path, withQuery(ctx.query, changes));
}

/** Link to another page, carrying the time range along. */
export function hrefTo(ctx: PageContext, path: string, extra: QueryValues = {}): string {
  return buildHref(path, withQuery(sharedQuery(ctx.query), extra));
}
