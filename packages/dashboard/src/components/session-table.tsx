import type { ComponentChildren } from "preact";
import type { SessionRow } from "../api";
import { formatDuration, formatNumber, formatRelative, shortId } from "../lib/format";
import { hrefTo, type PageContext } from "../pages/context";
import { paths } from "../router";
import { ClientLabel, UserLabel } from "./common";
import { type Column, DataTable } from "./data-table";

/** Sessions list shared by the Sessions page and the user profile. */
export function SessionTable({
  ctx,
  rows,
  showUser = true,
  stale,
  empty,
  footer,
}: {
  ctx: PageContext;
  rows: SessionRow[];
  showUser?: boolean;
  stale?: boolean;
  empty?: ComponentChildren;
  footer?: ComponentChildren;
}) {
  const pid = ctx.project.id;
  const columns: Column<SessionRow>[] = [
    {
      id: "session",
      label: "Session",
      render: (s) => (
        <a class="mono nowrap" href={hrefTo(ctx, paths.session(pid, s.sessionId))} title={s.sessionId}>
          {shortId(s.sessionId)}
        </a>
      ),
    },
  ];
  if (showUser) {
    columns.push({
      id: "user",
      label: "User",
      render: (s) =>
        s.userId === null ? (
          <UserLabel userId={null} userName={null} />
        ) : (
          <a href={hrefTo(ctx, paths.user(pid, s.userId))}>{s.userName ?? s.userId}</a>
        ),
    });
  }
  columns.push(
    {
      id: "client",
      label: "Client",
      render: (s) => <ClientLabel name={s.clientName} version={s.clientVersion} />,
    },
    {
      id: "lastSeen",
      label: "Last activity",
      render: (s) => <span title={s.lastSeen}>{formatRelative(s.lastSeen)}</span>,
    },
    {
      id: "duration",
      label: "Duration",
      numeric: true,
      render: (s) => formatDuration(s.durationMs),
      secondary: true,
    },
    { id: "calls", label: "Tool calls", numeric: true, render: (s) => formatNumber(s.toolCalls) },
    {
      id: "errors",
      label: "Errors",
      numeric: true,
      render: (s) => <span class={s.errors ? "err-text" : undefined}>{formatNumber(s.errors)}</span>,
    },
    {
      id: "kind",
      label: "Kind",
      secondary: true,
      render: (s) =>
        s.stateless ? <span class="badge">stateless</span> : <span class="badge">stateful</span>,
    },
  );
  return (
    <DataTable
      caption="Sessions"
      columns={columns}
      rows={rows}
      rowKey={(s) => s.sessionId}
      stale={stale}
      empty={empty ?? <p class="empty muted">No sessions in this range.</p>}
      footer={footer}
    />
  );
}
