/**
 * Events whose text is as awkward to show as the protocol allows: ids and names hundreds of
 * characters long without a space, CJK, right-to-left script, emoji, a NUL, a 4,096-character
 * error message. The dashboard must show them without an error and without widening the page.
 */
export const ODD = {
  userId: `ユーザー識別子${"長".repeat(300)}`,
  userName: `Name${"W".repeat(300)}`,
  rtlUserId: `مستخدم-${"😀".repeat(40)}-end`,
  sessionId: `session-${"s".repeat(240)}`,
  tool: `tool_${"x".repeat(500)}`,
  client: `client-${"c".repeat(400)}`,
  error: `Failure:${"E".repeat(4000)}`,
  intent: `Intent ${"i".repeat(4000)}`,
};

export function oddBatch(projectId: string): { events: Record<string, unknown>[] } {
  const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000).toISOString();
  const base = {
    projectId,
    eventType: "mcp:tools/call",
    clientName: ODD.client,
    clientVersion: "1.0\u0000beta",
  };
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 6; i++)
    events.push({
      ...base,
      id: `odd-${i}`,
      sessionId: i < 3 ? ODD.sessionId : "odd-session-2",
      timestamp: at(i),
      duration: 12 * (i + 1),
      resourceName: ODD.tool,
      userIntent: ODD.intent,
      identifyActorGivenId: i < 3 ? ODD.userId : ODD.rtlUserId,
      identifyActorName: i < 3 ? ODD.userName : "مستخدم 😀",
      identifyActorData: { note: "n".repeat(2000), nested: { deep: [[["x"]]] } },
      parameters: { query: "q".repeat(3000), list: Array.from({ length: 50 }, (_, n) => `item ${n}`) },
      response: { content: [{ type: "text", text: `${"r".repeat(5000)}` }] },
      ...(i % 2 === 0 ? { isError: true, error: { message: ODD.error, stack: "at x\n".repeat(500) } } : {}),
    });
  return { events };
}
