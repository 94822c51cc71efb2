import { type IntentRow, type ListPage, projectPath } from "../api";
import { Loadable, PageHead, Panel } from "../components/common";
import { Pager } from "../components/data-table";
import { IntentList } from "../components/intent-list";
import { useApi } from "../hooks/use-api";
import { rangeToQuery } from "../lib/time-range";
import { hrefWith, rangeParams, usePage } from "./context";

const TYPES = [
  { value: "all", label: "All" },
  { value: "intent", label: "Intents" },
  { value: "missing_tool", label: "Missing tools" },
] as const;

export function IntentsPage() {
  const ctx = usePage();
  const { project, range, query } = ctx;
  const typeParam = query.get("type");
  const type = TYPES.some((t) => t.value === typeParam) ? (typeParam as string) : "all";
  const cursor = query.get("cursor");
  const state = useApi<ListPage<IntentRow>>(
    projectPath(project.id, "intents"),
    () => ({ ...rangeParams(range), type, cursor, limit: 50 }),
    [rangeToQuery(range), type, cursor],
  );
  return (
    <>
      <PageHead title="Intents">
        <nav class="range-picker" aria-label="Kind of intent">
          {TYPES.map((t) => (
            <a
              key={t.value}
              href={hrefWith(ctx, { type: t.value === "all" ? null : t.value, cursor: null })}
              aria-current={type === t.value ? "true" : undefined}
            >
              {t.label}
            </a>
          ))}
        </nav>
      </PageHead>
      <p class="muted small" style={{ margin: 0 }}>
        What agents said they were trying to do, and the tools they reported missing via{" "}
        <code>get_more_tools</code>.
      </p>
      <Loadable state={state}>
        {(data) => (
          <Panel>
            <div class={state.loading ? "stale" : undefined}>
              <IntentList ctx={ctx} items={data.items} />
            </div>
            <Pager
              firstHref={cursor ? hrefWith(ctx, { cursor: null }) : null}
              nextHref={data.nextCursor ? hrefWith(ctx, { cursor: data.nextCursor }) : null}
            />
          </Panel>
        )}
      </Loadable>
    </>
  );
}
