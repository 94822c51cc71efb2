import { useEffect, useState } from "preact/hooks";
import { type ClientRef, projectPath, type UserListRow, type UsersPage as UsersResponse } from "../api";
import { Loadable, PageHead, Panel } from "../components/common";
import { type Column, DataTable, Pager } from "../components/data-table";
import { identifySnippet } from "../components/setup-snippet";
import { useApi } from "../hooks/use-api";
import { formatNumber, formatRelative, plural } from "../lib/format";
import { rangeToQuery } from "../lib/time-range";
import { navigate, paths, withQuery } from "../router";
import { hrefTo, hrefWith, rangeParams, usePage } from "./context";

const SORTS = ["lastSeen", "sessions", "toolCalls", "errors"] as const;

export function UsersPage() {
  const ctx = usePage();
  const { project, range, query } = ctx;
  const search = query.get("search") ?? "";
  const sortParam = query.get("sort");
  const sort = (SORTS as readonly string[]).includes(sortParam ?? "") ? (sortParam as string) : "lastSeen";
  const cursor = query.get("cursor");
  const params = () => ({ ...rangeParams(range), search, sort, cursor, limit: 50 });
  const state = useApi<UsersResponse>(projectPath(project.id, "users"), params, [
    rangeToQuery(range),
    search,
    sort,
    cursor,
  ]);

  const columns: Column<UserListRow>[] = [
    {
      id: "user",
      label: "User",
      render: (u) => (
        <a class="cell-main" href={hrefTo(ctx, paths.user(project.id, u.userId))}>
          {u.userName ?? u.userId}
        </a>
      ),
    },
    {
      id: "id",
      label: "User id",
      render: (u) => <span class="mono small">{u.userId}</span>,
      secondary: true,
    },
    {
      id: "firstSeen",
      label: "First seen",
      render: (u) => <span title={u.firstSeen}>{formatRelative(u.firstSeen)}</span>,
      secondary: true,
    },
    {
      id: "lastSeen",
      label: "Last seen",
      sortKey: "lastSeen",
      render: (u) => <span title={u.lastSeen}>{formatRelative(u.lastSeen)}</span>,
    },
    {
      id: "sessions",
      label: "Sessions",
      sortKey: "sessions",
      numeric: true,
      render: (u) => formatNumber(u.sessions),
    },
    {
      id: "toolCalls",
      label: "Tool calls",
      sortKey: "toolCalls",
      numeric: true,
      render: (u) => formatNumber(u.toolCalls),
    },
    {
      id: "errors",
      label: "Errors",
      sortKey: "errors",
      numeric: true,
      render: (u) => <span class={u.errors ? "err-text" : undefined}>{formatNumber(u.errors)}</span>,
    },
    {
      id: "clients",
      label: "Clients",
      render: (u) => <ClientList clients={u.clients} />,
      secondary: true,
    },
  ];

  return (
    <>
      <PageHead title="Users">
        <SearchBox value={search} />
      </PageHead>
      <Loadable state={state}>
        {(data) => (
          <>
            <Panel flush>
              <DataTable
                caption="Users"
                columns={columns}
                rows={data.items}
                rowKey={(u) => u.userId}
                sort={{ key: sort, dir: "desc" }}
                sortHref={(key) => hrefWith(ctx, { sort: key === "lastSeen" ? null : key, cursor: null })}
                stale={state.loading}
                empty={
                  <div class="empty">
                    {search ? (
                      <p>No user matches “{search}” in this range.</p>
                    ) : (
                      <>
                        <p>
                          No identified users in this range. Users appear once your server tells mcpsight who
                          they are:
                        </p>
                        <pre class="snippet">{identifySnippet(project)}</pre>
                      </>
                    )}
                  </div>
                }
                footer={
                  <Pager
                    summary={
                      <a href={hrefTo(ctx, paths.page(project.id, "sessions"), { anonymous: "true" })}>
                        {plural(data.anonymousSessions, "anonymous session")} in this range
                      </a>
                    }
                    firstHref={cursor ? hrefWith(ctx, { cursor: null }) : null}
                    nextHref={data.nextCursor ? hrefWith(ctx, { cursor: data.nextCursor }) : null}
                  />
                }
              />
            </Panel>
          </>
        )}
      </Loadable>
    </>
  );
}

/** Search updates the URL as you type (replacing history, debounced), so results are deep-linkable. */
export function SearchBox({
  value,
  param = "search",
  label = "Search users",
}: {
  value: string;
  param?: string;
  label?: string;
}) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = window.setTimeout(() => {
      const loc = window.location.hash.slice(1);
      const q = loc.indexOf("?");
      const path = q === -1 ? loc : loc.slice(0, q);
      const query = new URLSearchParams(q === -1 ? "" : loc.slice(q + 1));
      navigate(path, withQuery(query, { [param]: text, cursor: null }), true);
    }, 300);
    return () => window.clearTimeout(timer);
  }, [text, value, param]);
  return (
    <search>
      <form onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          <span class="sr-only">{label}</span>
          <input
            type="search"
            placeholder="Search by id or name"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            aria-label={label}
          />
        </label>
      </form>
    </search>
  );
}

const clientLabel = (c: ClientRef) => [c.name ?? "unknown", c.version].filter(Boolean).join(" ");

/** The clients a user was seen with, as text ("cursor 1.4.2, claude-ai 0.1.0"). */
function ClientList({ clients }: { clients: ClientRef[] }) {
  if (clients.length === 0) return <span class="muted">—</span>;
  const text = clients.map(clientLabel).join(", ");
  return (
    <span class="small client-list" title={text}>
      {text}
    </span>
  );
}
