import { useEffect, useState } from "preact/hooks";
import { type ListPage, projectPath, type SessionRow } from "../api";
import { Loadable, PageHead, Panel } from "../components/common";
import { Pager } from "../components/data-table";
import { SessionTable } from "../components/session-table";
import { useApi } from "../hooks/use-api";
import { rangeToQuery } from "../lib/time-range";
import { navigate, withQuery } from "../router";
import { hrefWith, type PageContext, rangeParams, usePage } from "./context";

const TEXT_FILTERS = [
  { key: "userId", label: "User id" },
  { key: "client", label: "Client" },
  { key: "tool", label: "Tool" },
] as const;

const BOOL_FILTERS = [
  { key: "hasError", label: "Errors", yes: "with errors", no: "without errors" },
  { key: "stateless", label: "Server kind", yes: "stateless", no: "stateful" },
  { key: "anonymous", label: "Identity", yes: "anonymous", no: "identified" },
] as const;

const FILTER_KEYS = [...TEXT_FILTERS.map((f) => f.key), ...BOOL_FILTERS.map((f) => f.key)];

export function SessionsPage() {
  const ctx = usePage();
  const { project, range, query } = ctx;
  const filters: Record<string, string | null> = {};
  for (const key of FILTER_KEYS) filters[key] = query.get(key);
  const cursor = query.get("cursor");
  const state = useApi<ListPage<SessionRow>>(
    projectPath(project.id, "sessions"),
    () => ({ ...rangeParams(range), ...filters, cursor, limit: 50 }),
    [rangeToQuery(range), filters, cursor],
  );
  const active = FILTER_KEYS.some((k) => filters[k]);

  return (
    <>
      <PageHead title="Sessions" />
      <SessionFilters ctx={ctx} filters={filters} />
      <Loadable state={state}>
        {(data) => (
          <Panel flush>
            <SessionTable
              ctx={ctx}
              rows={data.items}
              stale={state.loading}
              empty={
                <p class="empty muted">
                  {active ? "No session matches these filters in this range." : "No sessions in this range."}
                </p>
              }
              footer={
                <Pager
                  firstHref={cursor ? hrefWith(ctx, { cursor: null }) : null}
                  nextHref={data.nextCursor ? hrefWith(ctx, { cursor: data.nextCursor }) : null}
                />
              }
            />
          </Panel>
        )}
      </Loadable>
    </>
  );
}

function SessionFilters({ ctx, filters }: { ctx: PageContext; filters: Record<string, string | null> }) {
  const [text, setText] = useState<Record<string, string>>({});
  useEffect(() => {
    setText(Object.fromEntries(TEXT_FILTERS.map((f) => [f.key, filters[f.key] ?? ""])));
  }, [filters.userId, filters.client, filters.tool]);
  const apply = (changes: Record<string, string | null>) =>
    navigate(ctx.path, withQuery(ctx.query, { ...changes, cursor: null }));

  return (
    <form
      class="toolbar"
      aria-label="Filter sessions"
      onSubmit={(e) => {
        e.preventDefault();
        apply(text);
      }}
    >
      {TEXT_FILTERS.map((f) => (
        <label class="field" key={f.key}>
          {f.label}
          <input
            value={text[f.key] ?? ""}
            onInput={(e) => setText({ ...text, [f.key]: e.currentTarget.value })}
            placeholder="any"
            size={14}
          />
        </label>
      ))}
      {BOOL_FILTERS.map((f) => (
        <label class="field" key={f.key}>
          {f.label}
          <select
            value={filters[f.key] ?? ""}
            onChange={(e) => apply({ [f.key]: e.currentTarget.value || null })}
          >
            <option value="">any</option>
            <option value="true">{f.yes}</option>
            <option value="false">{f.no}</option>
          </select>
        </label>
      ))}
      <button type="submit" class="primary">
        Apply
      </button>
      {FILTER_KEYS.some((k) => filters[k]) && (
        <a class="button" href={hrefWith(ctx, Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}>
          Clear filters
        </a>
      )}
    </form>
  );
}
