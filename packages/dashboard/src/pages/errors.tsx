import { useState } from "preact/hooks";
import { type ErrorGroup, type ListPage, projectPath } from "../api";
import { Loadable, PageHead, Panel } from "../components/common";
import { Pager } from "../components/data-table";
import { ErrorDetails } from "../components/event-error";
import { JsonView } from "../components/json-view";
import { useApi } from "../hooks/use-api";
import { formatNumber, formatRelative, plural } from "../lib/format";
import { requestArguments } from "../lib/json";
import { rangeToQuery } from "../lib/time-range";
import { paths } from "../router";
import { hrefTo, hrefWith, type PageContext, rangeParams, usePage } from "./context";

const groupKey = (g: ErrorGroup) => `${g.tool}\u0000${g.message}`;

export function ErrorsPage() {
  const ctx = usePage();
  const { project, range, query } = ctx;
  const cursor = query.get("cursor");
  const tool = query.get("tool");
  const state = useApi<ListPage<ErrorGroup>>(
    projectPath(project.id, "errors"),
    () => ({ ...rangeParams(range), tool, cursor, limit: 50 }),
    [rangeToQuery(range), tool, cursor],
  );
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) => {
    const next = new Set(open);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setOpen(next);
  };

  return (
    <>
      <PageHead title={tool ? `Errors of ${tool}` : "Errors"}>
        {tool && (
          <a class="button" href={hrefWith(ctx, { tool: null, cursor: null })}>
            Show all tools
          </a>
        )}
      </PageHead>
      <Loadable state={state}>
        {(data) => {
          // `tool=` filters on the server, so pages stay full and the cursor stays valid.
          const items = data.items;
          return (
            <Panel flush>
              {items.length === 0 ? (
                <p class="empty muted">No errors in this range. Nice.</p>
              ) : (
                <ul class="timeline" style={{ padding: "0.5rem 1rem" }}>
                  {items.map((g) => (
                    <ErrorGroupItem
                      key={groupKey(g)}
                      ctx={ctx}
                      group={g}
                      open={open.has(groupKey(g))}
                      onToggle={() => toggle(groupKey(g))}
                    />
                  ))}
                </ul>
              )}
              <Pager
                firstHref={cursor ? hrefWith(ctx, { cursor: null }) : null}
                nextHref={data.nextCursor ? hrefWith(ctx, { cursor: data.nextCursor }) : null}
              />
            </Panel>
          );
        }}
      </Loadable>
    </>
  );
}

function ErrorGroupItem({
  ctx,
  group: g,
  open,
  onToggle,
}: {
  ctx: PageContext;
  group: ErrorGroup;
  open: boolean;
  onToggle: () => void;
}) {
  const pid = ctx.project.id;
  return (
    <li class="tl-item error">
      <div class="tl-card">
        <button type="button" class="tl-head" aria-expanded={open} onClick={onToggle}>
          <span class="badge err">{formatNumber(g.count)}×</span>
          <span class="tl-tool">{g.tool}</span>
          <span class="err-text" style={{ flex: "1 1 20rem", wordBreak: "break-word" }}>
            {g.message}
          </span>
          <span class="muted small">
            {plural(g.users, "user")} · {plural(g.sessions, "session")} · last {formatRelative(g.lastSeen)}
          </span>
        </button>
        {open && (
          <div class="tl-body">
            {g.sample ? (
              <>
                <ErrorDetails error={g.sample.error} fallback={g.message} />
                {g.sample.parameters !== null && (
                  <div>
                    <h4>Arguments of the latest occurrence</h4>
                    <JsonView value={requestArguments(g.sample.parameters, g.sample.resourceName)} />
                  </div>
                )}
                <div class="small">
                  Latest occurrence {formatRelative(g.sample.timestamp)} in{" "}
                  <a href={hrefTo(ctx, paths.session(pid, g.sample.sessionId))}>its session</a>
                  {g.sample.userId && (
                    <>
                      {" by "}
                      <a href={hrefTo(ctx, paths.user(pid, g.sample.userId))}>{g.sample.userId}</a>
                    </>
                  )}
                  {" · "}
                  <a href={hrefTo(ctx, paths.page(pid, "sessions"), { tool: g.tool, hasError: "true" })}>
                    sessions with errors in {g.tool}
                  </a>
                </div>
              </>
            ) : (
              <p class="muted">The latest occurrence was erased.</p>
            )}
          </div>
        )}
      </div>
    </li>
  );
}
