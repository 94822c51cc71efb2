import { useState } from "preact/hooks";
import { foldString, isContainer, type Json, preview } from "../lib/json";

interface Props {
  value: unknown;
  /** Levels opened at first render. */
  openDepth?: number;
  label?: string;
}

/**
 * Collapsible, pretty JSON. Everything is rendered as text nodes: user-sent values can never
 * become markup.
 */
export function JsonView({ value, openDepth = 3, label }: Props) {
  return (
    <div class="json" title={label}>
      <JsonNode value={value as Json} depth={0} openDepth={openDepth} />
    </div>
  );
}

function JsonNode({
  name,
  value,
  depth,
  openDepth,
  last = true,
}: {
  name?: string;
  value: Json;
  depth: number;
  openDepth: number;
  last?: boolean;
}) {
  const [open, setOpen] = useState(depth < openDepth);
  const keyPart = name === undefined ? null : <span class="json-key">{JSON.stringify(name)}: </span>;
  const comma = last ? "" : ",";

  if (!isContainer(value)) {
    return (
      <div class="json-line">
        {keyPart}
        <JsonScalar value={value} />
        {comma}
      </div>
    );
  }

  const isArray = Array.isArray(value);
  const entries: [string, Json][] = isArray
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, Json>);
  const [openBrace, closeBrace] = isArray ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <div class="json-line">
        {keyPart}
        <span class="json-punct">
          {openBrace}
          {closeBrace}
        </span>
        {comma}
      </div>
    );
  }
  return (
    <div class="json-node">
      <button type="button" class="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span class="json-caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        {keyPart}
        <span class="json-punct">{openBrace}</span>
        {!open && (
          <>
            <span class="json-preview">{preview(value).slice(1, -1) || " "}</span>
            <span class="json-punct">{closeBrace}</span>
            {comma}
          </>
        )}
      </button>
      {open && (
        <>
          <div class="json-children">
            {entries.map(([k, v], i) => (
              <JsonNode
                key={k}
                name={isArray ? undefined : k}
                value={v}
                depth={depth + 1}
                openDepth={openDepth}
                last={i === entries.length - 1}
              />
            ))}
          </div>
          <div class="json-line">
            <span class="json-punct">{closeBrace}</span>
            {comma}
          </div>
        </>
      )}
    </div>
  );
}

function JsonScalar({ value }: { value: Exclude<Json, Json[] | { [key: string]: Json }> }) {
  if (typeof value === "string") return <FoldedString value={value} />;
  if (value === null) return <span class="json-null">null</span>;
  if (typeof value === "boolean") return <span class="json-bool">{String(value)}</span>;
  return <span class="json-num">{String(value)}</span>;
}

/** Long strings show their head and a button for the rest. */
export function FoldedString({
  value,
  quoted = true,
  limit,
}: {
  value: string;
  quoted?: boolean;
  limit?: number;
}) {
  const [expanded, setExpanded] = useState(false);
  const { head, hidden } = foldString(value, limit);
  const shown = expanded || hidden === 0 ? value : head;
  const text = quoted ? JSON.stringify(shown).slice(0, hidden && !expanded ? -1 : undefined) : shown;
  return (
    <span class="json-str">
      {text}
      {hidden > 0 && !expanded && (
        <>
          {"…"}
          <button type="button" class="linklike json-more" onClick={() => setExpanded(true)}>
            show {hidden.toLocaleString()} more characters
          </button>
        </>
      )}
      {hidden > 0 && expanded && (
        <button type="button" class="linklike json-more" onClick={() => setExpanded(false)}>
          fold
        </button>
      )}
    </span>
  );
}
