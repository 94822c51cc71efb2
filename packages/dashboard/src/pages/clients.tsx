import { type ClientRow, type ListPage, projectPath } from "../api";
import { ClientLabel, Loadable, PageHead, Panel } from "../components/common";
import { type Column, DataTable } from "../components/data-table";
import { useApi } from "../hooks/use-api";
import { formatNumber } from "../lib/format";
import { rangeToQuery } from "../lib/time-range";
import { paths } from "../router";
import { hrefTo, rangeParams, usePage } from "./context";

export function ClientsPage() {
  const ctx = usePage();
  const { project, range } = ctx;
  const state = useApi<ListPage<ClientRow>>(projectPath(project.id, "clients"), () => rangeParams(range), [
    rangeToQuery(range),
  ]);
  const columns: Column<ClientRow>[] = [
    {
      id: "client",
      label: "Client",
      render: (c) =>
        c.name ? (
          <a href={hrefTo(ctx, paths.page(project.id, "sessions"), { client: c.name })} class="cell-main">
            {c.name}
          </a>
        ) : (
          <ClientLabel name={null} version={null} />
        ),
    },
    { id: "version", label: "Version", render: (c) => c.version ?? <span class="muted">–</span> },
    { id: "users", label: "Users", numeric: true, render: (c) => formatNumber(c.users) },
    { id: "sessions", label: "Sessions", numeric: true, render: (c) => formatNumber(c.sessions) },
  ];
  return (
    <>
      <PageHead title="Clients" />
      <Loadable state={state}>
        {(data) => (
          <Panel flush>
            <DataTable
              caption="Clients"
              columns={columns}
              rows={data.items}
              rowKey={(c) => `${c.name ?? ""}\u0000${c.version ?? ""}`}
              stale={state.loading}
              empty={<p class="empty muted">No sessions started in this range.</p>}
            />
          </Panel>
        )}
      </Loadable>
    </>
  );
}
