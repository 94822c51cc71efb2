import type { ComponentChildren } from "preact";

export interface Column<T> {
  id: string;
  label: string;
  render: (row: T) => ComponentChildren;
  /** When set, the header is a link that sorts by this key (server-side). */
  sortKey?: string;
  numeric?: boolean;
  /** Hidden on narrow windows. */
  secondary?: boolean;
}

export interface SortState {
  key: string;
  dir: "asc" | "desc";
}

interface Props<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  sort?: SortState;
  /** Builds the href for sorting by a key in a direction. */
  sortHref?: (key: string, dir: "asc" | "desc") => string;
  rowClass?: (row: T) => string | undefined;
  empty?: ComponentChildren;
  stale?: boolean;
  footer?: ComponentChildren;
}

/**
 * A table whose rows are keyed by id, so a live refresh with the same rows keeps their DOM
 * nodes (and any focus or selection inside them).
 */
export function DataTable<T>(props: Props<T>) {
  const { columns, rows, rowKey, sort, sortHref } = props;
  return (
    <div class={props.stale ? "stale" : undefined}>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">{props.caption}</caption>
          <thead>
            <tr>
              {columns.map((col) => {
                const active = sort && col.sortKey === sort.key;
                const cls = [col.numeric ? "num" : "", col.secondary ? "hide-narrow" : ""].join(" ").trim();
                return (
                  <th
                    key={col.id}
                    scope="col"
                    class={cls || undefined}
                    aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}
                  >
                    {col.sortKey && sortHref ? (
                      <a
                        class="sort-link"
                        href={sortHref(col.sortKey, active && sort.dir === "desc" ? "asc" : "desc")}
                      >
                        {col.label}
                        {active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
                      </a>
                    ) : (
                      col.label
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)} class={props.rowClass?.(row)}>
                {columns.map((col) => {
                  const cls = [col.numeric ? "num" : "wrap", col.secondary ? "hide-narrow" : ""]
                    .join(" ")
                    .trim();
                  return (
                    <td key={col.id} class={cls}>
                      {col.render(row)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && props.empty}
      {props.footer}
    </div>
  );
}

/** Cursor pagination: "Next" follows the server's cursor, "First page" drops it. */
export function Pager({
  firstHref,
  nextHref,
  summary,
}: {
  firstHref?: string | null;
  nextHref?: string | null;
  summary?: ComponentChildren;
}) {
  if (!firstHref && !nextHref && !summary) return null;
  return (
    <nav class="pager" aria-label="Pagination">
      {summary && <span class="muted small">{summary}</span>}
      <span style={{ flex: 1 }} />
      {firstHref && (
        <a class="button" href={firstHref}>
          ← First page
        </a>
      )}
      {nextHref && (
        <a class="button" href={nextHref} rel="next">
          Next page →
        </a>
      )}
    </nav>
  );
}
