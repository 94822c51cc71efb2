import { useState } from "preact/hooks";
import { projectPath, type ReplayEvent, type SessionReplay } from "../api";
import { ClientLabel, Loadable, PageHead, StatCard } from "../components/common";
import { Pager } from "../components/data-table";
import { ErrorDetails } from "../components/event-error";
import { JsonView } from "../components/json-view";
import { useApi } from "../hooks/use-api";
import {
  formatDateTime,
  formatDuration,
  formatEventType,
  formatNumber,
  formatOffset,
  plural,
  shortId,
} from "../lib/format";
import { requestArguments } from "../lib/json";
import { paths } from "../router";
import { hrefTo, hrefWith, type PageContext, usePage } from "./context";

export function SessionReplayPage({ sessionId }: { sessionId: string }) {
  const ctx = usePage();
  const { project, query } = ctx;
  const cursor = query.get("cursor");
  // The time range does not apply to a replay: a session is shown whole.
  const state = useApi<SessionReplay>(projectPath(project.id, "sessions", sessionId), { cursor, limit: 500 });
  // Open rows are keyed by event id, so they stay open across live refreshes.
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };

  return (
    <Loadable state={state}>
      {(r) => {
        const s = r.session;
        return (
          <>
            <PageHead
              title={<span title={s.sessionId}>Session {shortId(s.sessionId, 24)}</span>}
              crumbs={
                <>
                  <a href={hrefTo(ctx, paths.page(project.id, "sessions"))}>Sessions</a>
                  {s.userId !== null && (
                    <>
                      {" / "}
                      <a class="clip" href={hrefTo(ctx, paths.user(project.id, s.userId))} title={s.userId}>
                        {s.userName ?? s.userId}
                      </a>
                    </>
                  )}
                </>
              }
            >
              <div class="toolbar">
                <button type="button" onClick={() => setOpen(new Set(r.events.map((e) => e.id)))}>
                  Expand all
                </button>
                <button type="button" onClick={() => setOpen(new Set())}>
                  Collapse all
                </button>
              </div>
            </PageHead>
            <div class="cards">
              <StatCard
                label="User"
                value={
                  <span style={{ fontSize: "1.1rem" }}>
                    {s.userId === null ? (
                      <span class="muted">anonymous</span>
                    ) : (
                      <a class="clip" href={hrefTo(ctx, paths.user(project.id, s.userId))} title={s.userId}>
                        {s.userName ?? s.userId}
                      </a>
                    )}
                  </span>
                }
                sub={s.stateless ? "stateless server" : "stateful session"}
              />
              <StatCard
                label="Client"
                value={
                  <span style={{ fontSize: "1.1rem" }}>
                    <ClientLabel name={s.clientName} version={s.clientVersion} />
                  </span>
                }
                sub={
                  s.serverName
                    ? `server ${s.serverName}${s.serverVersion ? ` ${s.serverVersion}` : ""}`
                    : undefined
                }
              />
              <StatCard
                label="Duration"
                value={formatDuration(s.durationMs)}
                sub={formatDateTime(s.firstSeen)}
              />
              <StatCard
                label="Events"
                value={formatNumber(s.events)}
                sub={
                  <>
                    {plural(s.toolCalls, "tool call")} ·{" "}
                    <span class={s.errors ? "err-text" : undefined}>{plural(s.errors, "error")}</span>
                  </>
                }
              />
            </div>
            <section aria-label="Timeline">
              {r.events.length === 0 ? (
                <p class="muted">This session has no events.</p>
              ) : (
                <ol class="timeline">
                  {r.events.map((e) => (
                    <TimelineItem
                      key={e.id}
                      ctx={ctx}
                      event={e}
                      open={open.has(e.id)}
                      onToggle={() => toggle(e.id)}
                    />
                  ))}
                </ol>
              )}
              <Pager
                firstHref={cursor ? hrefWith(ctx, { cursor: null }) : null}
                nextHref={r.nextCursor ? hrefWith(ctx, { cursor: r.nextCursor }) : null}
              />
            </section>
          </>
        );
      }}
    </Loadable>
  );
}

function TimelineItem({
  ctx,
  event: e,
  open,
  onToggle,
}: {
  ctx: PageContext;
  event: ReplayEvent;
  open: boolean;
  onToggle: () => void;
}) {
  const isIdentify = e.identify !== null || e.eventType === "mcpsight:identify";
  const cls = ["tl-item", e.isError ? "error" : "", isIdentify ? "identify" : ""].join(" ").trim();
  const bodyId = `ev-${e.id}`;
  return (
    <li class={cls} data-event-type={e.eventType}>
      <div class="tl-card">
        <button type="button" class="tl-head" aria-expanded={open} aria-controls={bodyId} onClick={onToggle}>
          <span class="tl-offset" title={formatDateTime(e.timestamp)}>
            {formatOffset(e.offsetMs)}
          </span>
          <span class="tl-method">{formatEventType(e.eventType)}</span>
          {e.resourceName && <span class="tl-tool">{e.resourceName}</span>}
          {e.duration !== null && <span class="muted small">{formatDuration(e.duration)}</span>}
          {e.isError && <span class="badge err">error</span>}
          {isIdentify && (
            <span class="identify-marker">
              User became known:{" "}
              {e.identify
                ? e.identify.userName
                  ? `${e.identify.userName} (${e.identify.userId})`
                  : e.identify.userId
                : e.userId}
            </span>
          )}
          <span class="muted small" aria-hidden="true" style={{ marginLeft: "auto" }}>
            {open ? "▾" : "▸"}
          </span>
          {e.userIntent && (
            <span class="tl-intent">
              <span class="sr-only">Intent: </span>“{e.userIntent}”
            </span>
          )}
        </button>
        {e.traceId !== null && (
          // Outside the toggle button, so the id can be selected and copied into a tracing tool.
          <div class="tl-trace muted small">
            trace <span class="mono copyable">{e.traceId}</span>
            {e.spanId !== null && (
              <>
                {" · span "}
                <span class="mono copyable">{e.spanId}</span>
              </>
            )}
          </div>
        )}
        {e.isError && !open && (
          <div class="tl-body">
            <ErrorDetails error={e.error} />
          </div>
        )}
        {open && (
          <div class="tl-body" id={bodyId}>
            {e.isError && <ErrorDetails error={e.error} />}
            {e.identify && (
              <div>
                <h4>Identity</h4>
                <JsonView value={e.identify} label="Identity" />
              </div>
            )}
            {e.parameters !== null && (
              <div>
                <h4>{e.eventType === "mcp:tools/call" ? "Arguments" : "Parameters"}</h4>
                <JsonView value={requestArguments(e.parameters, e.resourceName)} label="Arguments" />
              </div>
            )}
            {e.response !== null && (
              <div>
                <h4>Result</h4>
                <JsonView value={e.response} label="Result" />
              </div>
            )}
            {(e.tags || e.properties !== null) && (
              <div>
                <h4>Tags and properties</h4>
                <JsonView value={{ tags: e.tags, properties: e.properties }} openDepth={1} />
              </div>
            )}
            <div class="muted small">
              {formatDateTime(e.timestamp)} · event <span class="mono">{e.id}</span>
              {e.sdkLanguage && ` · ${e.sdkLanguage} SDK ${e.sdkVersion ?? ""}`}
              {e.userId && !isIdentify && (
                <>
                  {" · user "}
                  <a href={hrefTo(ctx, paths.user(ctx.project.id, e.userId))}>{e.userId}</a>
                </>
              )}
            </div>
          </div>
        )}
      </div>
    </li>
  );
}
