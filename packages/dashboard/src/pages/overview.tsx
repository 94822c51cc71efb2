import { type Overview, projectPath } from "../api";
import { TimeSeriesChart } from "../components/chart";
import { ClientLabel, Loadable, PageHead, Panel, RankList, StatCard } from "../components/common";
import { SetupSnippet } from "../components/setup-snippet";
import { useApi } from "../hooks/use-api";
import { formatNumber, formatPercent, formatRelative, plural } from "../lib/format";
import { describeRange, rangeToQuery } from "../lib/time-range";
import { paths } from "../router";
import { hrefTo, rangeParams, usePage } from "./context";

export function OverviewPage() {
  const ctx = usePage();
  const { project, range } = ctx;
  const state = useApi<Overview>(projectPath(project.id, "overview"), () => rangeParams(range), [
    rangeToQuery(range),
  ]);

  return (
    <>
      <PageHead title="Overview">
        <span class="muted">{describeRange(range)}</span>
      </PageHead>
      <Loadable state={state}>
        {(o) => {
          const t = o.totals;
          // A fresh install teaches how to send the first events instead of showing zeros.
          if (
            project.lastEventAt === null &&
            t.sessions === 0 &&
            t.toolCalls === 0 &&
            o.newestUsers.length === 0
          ) {
            return <SetupSnippet project={project} />;
          }
          const identifiedShare = t.sessions ? t.identifiedSessions / t.sessions : null;
          return (
            <>
              <div class="cards">
                <StatCard label="Active users" value={formatNumber(t.activeUsers)} sub="identified" />
                <StatCard
                  label="Sessions"
                  value={formatNumber(t.sessions)}
                  sub={
                    <a href={hrefTo(ctx, paths.page(project.id, "sessions"), { anonymous: "true" })}>
                      {formatNumber(t.anonymousSessions)} anonymous
                    </a>
                  }
                />
                <StatCard label="Tool calls" value={formatNumber(t.toolCalls)} />
                <StatCard
                  label="Error rate"
                  value={formatPercent(t.errorRate)}
                  sub={plural(t.errors, "failed call")}
                />
                <StatCard
                  label="Identified sessions"
                  value={formatPercent(identifiedShare, 0)}
                  sub={
                    <>
                      <div>
                        {formatNumber(t.identifiedSessions)} identified · {formatNumber(t.anonymousSessions)}{" "}
                        anonymous
                      </div>
                      <div class="bar" aria-hidden="true">
                        <span style={{ width: `${(identifiedShare ?? 0) * 100}%` }} />
                      </div>
                    </>
                  }
                />
              </div>
              <Panel title={`Tool calls and errors per ${o.bucket}`}>
                <TimeSeriesChart
                  label={`Tool calls and errors per ${o.bucket}`}
                  times={o.series.map((p) => Date.parse(p.t))}
                  series={[
                    { label: "Tool calls", colorVar: "--chart-1", values: o.series.map((p) => p.toolCalls) },
                    { label: "Errors", colorVar: "--chart-2", values: o.series.map((p) => p.errors) },
                  ]}
                />
              </Panel>
              <div class="grid">
                <Panel title="Top tools">
                  <RankList
                    items={o.topTools}
                    itemKey={(x) => x.name}
                    label={(x) => (
                      <a
                        href={hrefTo(ctx, paths.page(project.id, "sessions"), { tool: x.name })}
                        class="mono"
                      >
                        {x.name}
                      </a>
                    )}
                    value={(x) => x.calls}
                    detail={(x) =>
                      x.errors ? <span class="err-text">{formatPercent(x.errorRate)} errors</span> : null
                    }
                    empty="No tool calls in this range."
                  />
                </Panel>
                <Panel title="Top clients">
                  <RankList
                    items={o.topClients}
                    itemKey={(x) => `${x.name}@${x.version}`}
                    label={(x) => <ClientLabel name={x.name} version={x.version} />}
                    value={(x) => x.sessions}
                    detail={() => "sessions"}
                    empty="No sessions started in this range."
                  />
                </Panel>
                <Panel title="Newest users">
                  {o.newestUsers.length === 0 ? (
                    <p class="muted">No new identified users in this range.</p>
                  ) : (
                    <ol class="rank">
                      {o.newestUsers.map((u) => (
                        <li key={u.userId}>
                          <a class="cell-main" href={hrefTo(ctx, paths.user(project.id, u.userId))}>
                            {u.userName ?? u.userId}
                          </a>
                          <span class="muted small nowrap" title={u.firstSeen}>
                            first seen {formatRelative(u.firstSeen)}
                          </span>
                        </li>
                      ))}
                    </ol>
                  )}
                </Panel>
              </div>
            </>
          );
        }}
      </Loadable>
    </>
  );
}
