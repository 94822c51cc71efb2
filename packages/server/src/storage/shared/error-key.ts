/** What an error is grouped by: the tool (or event type) and the message. */
export function errorKeyOf(
  resourceName: string | null | undefined,
  eventType: string,
  error: { message?: string } | null | undefined,
  response: unknown,
): { tool: string; message: string } {
  return {
    tool: resourceName || eventType,
    message: error?.message || responseText(response) || "(no message)",
  };
}

/** The first text content of a tool result, for errors reported as `isError` results. */
function responseText(response: unknown): string | null {
  if (typeof response !== "object" || response === null) return null;
  const content = (response as { content?: unknown }).content;
  if (!Array.isArray(content)) return null;
  const first = content.find(
    (item): item is { text: string } =>
      typeof item === "object" && item !== null && typeof item.text === "string",
  );
  return first ? first.text.slice(0, 500) : null;
}
