import type { IntentRow } from "../api";
import { formatRelative } from "../lib/format";
import { hrefTo, type PageContext } from "../pages/context";
import { paths } from "../router";

/** Agent intents and missing-tool reports, newest first. */
export function IntentList({
  ctx,
  items,
  showUser = true,
}: {
  ctx: PageContext;
  items: IntentRow[];
  showUser?: boolean;
}) {
  const pid = ctx.project.id;
  if (items.length === 0) return <p class="muted">No intents in this range.</p>;
  return (
    <ol class="rank">
      {items.map((i) => (
        <li key={i.eventId}>
          <span class="wrap">
            {i.type === "missing_tool" ? (
              <span class="badge err">missing tool</span>
            ) : (
              i.tool && (
                <span class="badge accent mono clip" title={i.tool}>
                  {i.tool}
                </span>
              )
            )}{" "}
            <q>{i.intent}</q>
          </span>
          <span class="muted small nowrap">
            <a href={hrefTo(ctx, paths.session(pid, i.sessionId))} title={i.timestamp}>
              {formatRelative(i.timestamp)}
            </a>
            {showUser && (
              <>
                {" · "}
                {i.userId === null ? (
                  "anonymous"
                ) : (
                  <a class="clip" href={hrefTo(ctx, paths.user(pid, i.userId))} title={i.userId}>
                    {i.userName ?? i.userId}
                  </a>
                )}
              </>
            )}
          </span>
        </li>
      ))}
    </ol>
  );
}
