import { projectPath, type ToolRow, type ToolsPage as ToolsResponse } from "../api";
import { Loadable, PageHead, Panel } from "../components/common";
import { type Column, DataTable } from "../components/data-table";
import { Sparkline } from "../components/sparkline";
import { useApi } from "../hooks/use-api";
import { formatDuration, formatNumber, formatPercent } from "../lib/format";
import { rangeToQuery } from "../lib/time-range";
import { paths } from "../router";
import { hrefTo, hrefWith, rangeParams, usePage } from "./context";

/** The tools list is not paginated by the API, so sorting it here is exact. */
const SORTS: Record<string, (a: ToolRow, b: ToolRow) => number> = {
  calls: (a, b) => b.calls - a.calls,
  users: (a, b) => b.uniqueUsers - a.uniqueUsers,
  errorRate: (a, b) => b.errorRate - a.errorRate,
  p95: (a, b) => (b.p95Ms ?? -1) - (a.p95Ms ?? -1),
  name: (a, b) => a.name.localeCompare(b.name),
};

export function ToolsPage() {
  const ctx = usePage();
  const { project, range, query } = ctx;
  const state = useApi<ToolsResponse>(projectPath(project.id, "tools"), () => rangeParams(range), [
    rangeToQuery(range),
  ]);
  const sortKey =
    query.get("sort") && SORTS[query.get("sort") ?? ""] ? (query.get("sort") as string) : "calls";
  const cmp = SORTS[sortKey] ?? SORTS.calls;

  const columns: Column<ToolRow>[] = [
    {
      id: "name",
      label: "Tool",
      sortKey: "name",
      render: (t) => <span class="cell-main mono">{t.name}</span>,
    },
    { id: "calls", label: "Calls", sortKey: "calls", numeric: true, render: (t) => formatNumber(t.calls) },
    {
      id: "users",
      label: "Users",
      sortKey: "users",
      numeric: true,
      render: (t) => formatNumber(t.uniqueUsers),
    },
    {
      id: "errorRate",
      label: "Error rate",
      sortKey: "errorRate",
      numeric: true,
      render: (t) => (
        <span class={t.errors ? "err-text" : undefined} title={`${t.errors} errors`}>
          {formatPercent(t.errorRate)}
        </span>
      ),
    },
    { id: "p50", label: "p50", numeric: true, render: (t) => formatDuration(t.p50Ms), secondary: true },
    { id: "p95", label: "p95", sortKey: "p95", numeric: true, render: (t) => formatDuration(t.p95Ms) },
    {
      id: "trend",
      label: "Trend",
      secondary: true,
      render: (t) => (
        <Sparkline
          label={`${t.name}: calls per ${state.data?.bucket ?? "bucket"}`}
          values={t.trend.map((p) => p.calls)}
          errors={t.trend.map((p) => p.errors)}
        />
      ),
    },
    {
      id: "links",
      label: "Drill down",
      render: (t) => (
        <span class="nowrap small">
          <a href={hrefTo(ctx, paths.page(project.id, "sessions"), { tool: t.name })}>sessions</a>
          {t.errors > 0 && (
            <>
              {" · "}
              <a href={hrefTo(ctx, paths.page(project.id, "errors"), { tool: t.name })}>errors</a>
            </>
          )}
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHead title="Tools" />
      <Loadable state={state}>
        {(data) => (
          <Panel flush>
            <DataTable
              caption="Tools"
              columns={columns}
              rows={[...data.items].sort(cmp)}
              rowKey={(t) => t.name}
              sort={{ key: sortKey, dir: sortKey === "name" ? "asc" : "desc" }}
              sortHref={(key) => hrefWith(ctx, { sort: key === "calls" ? null : key })}
              stale={state.loading}
              empty={<p class="empty muted">No tool calls in this range.</p>}
            />
          </Panel>
        )}
      </Loadable>
    </>
  );
}
