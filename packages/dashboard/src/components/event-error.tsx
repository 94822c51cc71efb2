import type { EventError } from "../api";
import { FoldedString } from "./json-view";

/** An error's message, type and (collapsible) stack, as text. */
export function ErrorDetails({ error, fallback }: { error: EventError | null; fallback?: string }) {
  return (
    <div class="error-box">
      <div class="msg">
        {error?.type && <span class="badge err">{error.type}</span>}{" "}
        {error?.message ?? fallback ?? "Error result"}
      </div>
      {error?.stack && (
        <details>
          <summary class="small">Stack trace</summary>
          <pre>
            <FoldedString value={error.stack} quoted={false} limit={4000} />
          </pre>
        </details>
      )}
    </div>
  );
}
