/**
 * Synthetic events for the collector benchmarks: realistic shapes (~650 bytes of JSON), a fixed
 * seed so runs are comparable.
 */
export interface Shape {
  projectId: string;
  users: number;
  sessions: number;
  /** Events are spread over this many days, ending now. */
  days: number;
}

const TOOLS = Array.from({ length: 20 }, (_, i) => `tool_${i.toString().padStart(2, "0")}`);
/** The clients sessions rotate through (both the random data here and the formula generators). */
export const CLIENTS = [
  ["claude-ai", "0.1.0"],
  ["cursor", "1.4.2"],
  ["vscode", "1.102.0"],
  ["windsurf", "1.10.0"],
  ["zed", "0.190.0"],
] as const;

/** The intent every tenth call of a session states. */
export const INTENT = "Look up the customer's recent orders to answer a billing question";

/** Each step of a session is this long. */
export const STEP_MS = 45_000;

/** The fields a session's events share: its user's identity (unless anonymous), client and server. */
export function sourceFields(user: number | null, clientName: string, clientVersion: string) {
  return {
    ...(user === null
      ? {}
      : {
          identifyActorGivenId: `user_${user}`,
          identifyActorName: `User ${user}`,
          identifyActorData: { plan: "pro" },
        }),
    clientName,
    clientVersion,
    serverName: "bench-server",
    serverVersion: "1.0.0",
    sdkLanguage: "typescript",
    sdkVersion: "0.1.0",
  };
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The events of session `s` (10 per session on average), oldest first. */
export function sessionEvents(shape: Shape, s: number, random: () => number, now = Date.now()) {
  const anonymous = s % 5 === 4;
  const user = (s * 7919) % shape.users;
  const [clientName, clientVersion] = CLIENTS[s % CLIENTS.length] ?? CLIENTS[0];
  // Sessions start in order over the period (as a live server sends them), with some jitter.
  const span = shape.days * 86_400_000;
  const start = now - span - 3_600_000 + Math.floor((s / shape.sessions) * span + random() * 600_000);
  const count = 5 + Math.floor(random() * 11);
  return Array.from({ length: count }, (_, i) => {
    const tool = TOOLS[Math.floor(random() ** 2 * TOOLS.length)] ?? "tool_00";
    const isError = random() < 0.02;
    return {
      id: `evt_${s}_${i}`,
      projectId: shape.projectId,
      sessionId: `ses_${s}`,
      eventType: i === 0 ? "mcp:initialize" : "mcp:tools/call",
      timestamp: new Date(start + i * STEP_MS).toISOString(),
      duration: Math.round(5 + random() ** 3 * 2000),
      ...(i === 0 ? {} : { resourceName: tool }),
      parameters: { query: `find records matching item ${s % 1000}`, limit: 20, offset: i * 20 },
      response: isError
        ? undefined
        : {
            content: [
              { type: "text", text: `Found ${i * 3} records for item ${s % 1000}; first: record-${s}-${i}` },
            ],
          },
      ...(i % 10 === 1 ? { userIntent: INTENT } : {}),
      ...(isError
        ? { isError: true, error: { message: `upstream timeout on ${tool}`, type: "TimeoutError" } }
        : {}),
      ...sourceFields(anonymous ? null : user, clientName, clientVersion),
    };
  });
}
