import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { formatNumber } from "../lib/format";
import { freshnessText, subscribeFreshness } from "../lib/freshness";

export function StatCard({
  label,
  value,
  sub,
}: {
  label: string;
  value: ComponentChildren;
  sub?: ComponentChildren;
}) {
  return (
    <div class="card">
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      {sub !== undefined && <div class="sub">{sub}</div>}
    </div>
  );
}

export function Panel({
  title,
  children,
  flush,
  actions,
}: {
  title?: ComponentChildren;
  children: ComponentChildren;
  flush?: boolean;
  actions?: ComponentChildren;
}) {
  return (
    <section class={flush ? "panel flush" : "panel"}>
      {(title || actions) && (
        <div class={flush ? "page-head panel-head flush-head" : "page-head panel-head"}>
          {title && <h2>{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}

/** A ranked list with proportional bars (top tools, top clients). */
export function RankList<T>({
  items,
  itemKey,
  label,
  value,
  detail,
  empty,
}: {
  items: T[];
  itemKey: (item: T) => string;
  label: (item: T) => ComponentChildren;
  value: (item: T) => number;
  detail?: (item: T) => ComponentChildren;
  empty: ComponentChildren;
}) {
  if (items.length === 0) return <p class="muted">{empty}</p>;
  const max = Math.max(1, ...items.map(value));
  return (
    <ol class="rank">
      {items.map((item) => (
        <li key={itemKey(item)}>
          <span class="cell-main">{label(item)}</span>
          <span class="num">
            {formatNumber(value(item))}
            {detail && <span class="muted small"> {detail(item)}</span>}
          </span>
          <div class="bar" aria-hidden="true">
            <span style={{ width: `${(value(item) / max) * 100}%` }} />
          </div>
        </li>
      ))}
    </ol>
  );
}

export function PageHead({
  title,
  crumbs,
  children,
}: {
  title: ComponentChildren;
  crumbs?: ComponentChildren;
  children?: ComponentChildren;
}) {
  return (
    <div class="page-head">
      <div style={{ minWidth: 0 }}>
        {crumbs && <div class="crumbs">{crumbs}</div>}
        <h1 style={{ wordBreak: "break-word" }}>{title}</h1>
      </div>
      {children}
    </div>
  );
}

/** Loading and error states for a fetched block; renders children once data is there. */
export function Loadable<T>({
  state,
  children,
}: {
  state: { data: T | undefined; error: Error | undefined; loading: boolean };
  children: (data: T) => ComponentChildren;
}) {
  if (state.data === undefined) {
    if (state.error) return <ErrorNotice error={state.error} />;
    return (
      <p class="muted" aria-busy="true">
        Loading…
      </p>
    );
  }
  return (
    <>
      {state.error && <ErrorNotice error={state.error} />}
      {children(state.data)}
    </>
  );
}

/** Says when the data shown is behind what the collector received (see lib/freshness.ts). */
export function FreshnessNotice() {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => subscribeFreshness((value) => setText(freshnessText(value))), []);
  if (!text) return null;
  return (
    <div class="freshness" role="status">
      {text}
    </div>
  );
}

export function ErrorNotice({ error }: { error: Error }) {
  return (
    <div class="alert" role="alert">
      {error.message}
    </div>
  );
}

/** A user's display name, falling back to the id. Always text. */
export function UserLabel({ userId, userName }: { userId: string | null; userName: string | null }) {
  if (userId === null) return <span class="muted">anonymous</span>;
  return (
    <span>
      {userName ?? userId}
      {userName && userName !== userId && <span class="muted small"> · {userId}</span>}
    </span>
  );
}

export function ClientLabel({ name, version }: { name: string | null; version: string | null }) {
  if (!name) return <span class="muted">unknown client</span>;
  // One line; a name too long for its column ends in an ellipsis, the whole of it in the title.
  return (
    <span class="clip" title={version ? `${name} ${version}` : name}>
      {name}
      {version && <span class="muted small"> {version}</span>}
    </span>
  );
}
