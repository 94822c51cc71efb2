import { Fragment } from "preact";
import { projectPath, type UserData, type UserProfile } from "../api";
import { TimeSeriesChart } from "../components/chart";
import { ClientLabel, Loadable, PageHead, Panel, RankList, StatCard } from "../components/common";
import { ErrorDetails } from "../components/event-error";
import { IntentList } from "../components/intent-list";
import { JsonView } from "../components/json-view";
import { SessionTable } from "../components/session-table";
import { useApi } from "../hooks/use-api";
import { formatDateTime, formatNumber, formatRelative, plural } from "../lib/format";
import { isContainer } from "../lib/json";
import { rangeToQuery } from "../lib/time-range";
import { paths } from "../router";
import { hrefTo, rangeParams, usePage } from "./context";

export function UserProfilePage({ userId }: { userId: string }) {
  const ctx = usePage();
  const { project, range } = ctx;
  const state = useApi<UserProfile>(projectPath(project.id, "users", userId), () => rangeParams(range), [
    rangeToQuery(range),
  ]);
  const usersHref = hrefTo(ctx, paths.page(project.id, "users"));

  return (
    <Loadable state={state}>
      {(p) => {
        const u = p.user;
        return (
          <>
            <PageHead title={u.userName ?? u.userId} crumbs={<a href={usersHref}>Users</a>} />
            <div class="cards">
              <StatCard label="Sessions" value={formatNumber(u.sessions)} sub="lifetime" />
              <StatCard label="Tool calls" value={formatNumber(u.toolCalls)} sub="lifetime" />
              <StatCard label="Errors" value={formatNumber(u.errors)} sub="lifetime" />
              <StatCard
                label="Last seen"
                value={formatRelative(u.lastSeen)}
                sub={formatDateTime(u.lastSeen)}
              />
            </div>
            <div class="grid">
              <Panel title="Identity">
                <dl class="kv">
                  <dt>User id</dt>
                  <dd class="mono">{u.userId}</dd>
                  <dt>Name</dt>
                  <dd>{u.userName ?? <span class="muted">not given</span>}</dd>
                  <dt>First seen</dt>
                  <dd>{formatDateTime(u.firstSeen)}</dd>
                  <UserDataRows data={u.userData} />
                  <dt>Clients</dt>
                  <dd>
                    {p.clients.length === 0 && <span class="muted">none</span>}
                    {p.clients.map((c) => (
                      <div key={`${c.name}@${c.version}`}>
                        <ClientLabel name={c.name} version={c.version} />
                        <span class="muted small"> · last {formatRelative(c.lastSeen)}</span>
                      </div>
                    ))}
                  </dd>
                </dl>
              </Panel>
              <Panel title="Activity (tool calls per day)">
                <TimeSeriesChart
                  label="Tool calls and errors per day"
                  height={180}
                  times={p.activity.map((a) => Date.parse(a.t))}
                  series={[
                    {
                      label: "Tool calls",
                      colorVar: "--chart-1",
                      values: p.activity.map((a) => a.toolCalls),
                      bars: true,
                    },
                    {
                      label: "Errors",
                      colorVar: "--chart-2",
                      values: p.activity.map((a) => a.errors),
                      bars: true,
                    },
                  ]}
                />
              </Panel>
            </div>
            <Panel
              flush
              title="Sessions"
              actions={
                <a class="small" href={hrefTo(ctx, paths.page(project.id, "sessions"), { userId: u.userId })}>
                  All sessions of this user →
                </a>
              }
            >
              <SessionTable ctx={ctx} rows={p.sessions} showUser={false} />
            </Panel>
            <div class="grid">
              <Panel title="Most used tools">
                <RankList
                  items={p.topTools}
                  itemKey={(t) => t.name}
                  label={(t) => <span class="mono">{t.name}</span>}
                  value={(t) => t.calls}
                  detail={(t) =>
                    t.errors ? <span class="err-text">{plural(t.errors, "error")}</span> : null
                  }
                  empty="No tool calls yet."
                />
              </Panel>
              <Panel title="Intents">
                <IntentList ctx={ctx} items={p.intents} showUser={false} />
              </Panel>
            </div>
            <Panel title="Recent errors">
              {p.recentErrors.length === 0 ? (
                <p class="muted">No errors in this range.</p>
              ) : (
                <ol class="rank">
                  {p.recentErrors.map((e) => (
                    <li key={e.id} style={{ display: "block" }}>
                      <div class="small muted">
                        <span class="mono">{e.resourceName ?? e.eventType}</span> ·{" "}
                        {formatDateTime(e.timestamp)} ·{" "}
                        <a class="error-replay" href={hrefTo(ctx, paths.session(project.id, e.sessionId))}>
                          replay session
                        </a>
                      </div>
                      <ErrorDetails error={e.error} />
                    </li>
                  ))}
                </ol>
              )}
            </Panel>
          </>
        );
      }}
    </Loadable>
  );
}

/** userData as a readable key/value list; nested values as collapsible JSON. Always text. */
function UserDataRows({ data }: { data: UserData | null }) {
  if (!data || Object.keys(data).length === 0) return null;
  return (
    <>
      {Object.entries(data).map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{isContainer(v) ? <JsonView value={v} openDepth={1} /> : String(v)}</dd>
        </Fragment>
      ))}
    </>
  );
}
