import { LIMITS } from "@mcpsight/protocol";

/**
 * Valid events with odd text in every field, from a fixed seed: lengths up to the protocol's
 * limits, Latin, CJK, Hangul, emoji, control characters (NUL included) and, now and then, half of a
 * surrogate pair; JSON payloads with the same strings, huge numbers and nulls. What a storage
 * backend must take without failing a batch.
 */
export function oddEvents(projectId: string, count: number, seed = 3): Record<string, unknown>[] {
  let state = seed;
  const random = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
  const SCRIPTS: [number, number][] = [
    [0x21, 94],
    [0x4e00, 20000],
    [0xac00, 10000],
    [0x1f600, 80],
    [0x0, 32],
    [0x400, 200],
  ];
  const text = (max: number) => {
    const length = Math.max(1, Math.floor(random() < 0.3 ? max : random() * max));
    const [from, span] = SCRIPTS[Math.floor(random() * SCRIPTS.length)] as [number, number];
    let s = "";
    while (s.length < length) s += String.fromCodePoint(from + Math.floor(random() * span));
    s = s.slice(0, length);
    return random() < 0.1 ? `${s.slice(0, -1)}\ud800` : s;
  };
  const json = (depth = 0): unknown => {
    const r = random();
    if (depth > 3 || r < 0.3)
      return random() < 0.5 ? text(200) : random() < 0.5 ? (random() - 0.5) * 1e308 : null;
    if (r < 0.6) return Array.from({ length: 3 }, () => json(depth + 1));
    return Object.fromEntries(Array.from({ length: 3 }, () => [text(20), json(depth + 1)]));
  };
  return Array.from({ length: count }, (_, i) => {
    const event: Record<string, unknown> = {
      id: `${i}-${text(LIMITS.idLength - 8)}`,
      projectId,
      eventType: random() < 0.5 ? "mcp:tools/call" : "mcpsight:identify",
      timestamp: new Date(Date.now() - Math.floor(random() * 86_400_000)).toISOString(),
      duration: random() * 1e12,
      resourceName: text(LIMITS.nameLength),
      parameters: json(),
      response: json(),
      userIntent: text(LIMITS.userIntentLength),
      isError: random() < 0.5,
      identifyActorGivenId: text(LIMITS.nameLength),
      identifyActorName: text(LIMITS.nameLength),
      identifyActorData: { [text(20)]: json() },
      clientName: text(LIMITS.nameLength),
      clientVersion: text(LIMITS.nameLength),
      serverName: text(LIMITS.nameLength),
      serverVersion: text(LIMITS.nameLength),
      sdkLanguage: text(LIMITS.nameLength),
      sdkVersion: text(LIMITS.nameLength),
      properties: { [text(20)]: json() },
    };
    if (random() < 0.5)
      event.error = {
        message: text(LIMITS.errorMessageLength),
        type: text(LIMITS.nameLength),
        stack: text(LIMITS.errorStackLength),
      };
    if (random() < 0.5) event.sessionId = text(LIMITS.sessionIdLength);
    else {
      event.stateless = true;
      if (random() < 0.5) event.correlationId = text(LIMITS.sessionIdLength);
    }
    return event;
  });
}
