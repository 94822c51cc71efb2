/**
 * The canonical projection of derived state: every derived table keyed by public ids (never
 * backend keys), zero rows dropped, sketches as their non-zero registers. Two stores hold the
 * same derived state exactly when their projections are deep-equal — whatever order their events
 * arrived in, and whichever backend holds them.
 */
export interface Projection {
  users: Record<
    string,
    {
      userName: string | null;
      userData: unknown;
      firstSeen: number;
      lastSeen: number;
      sessions: number;
      toolCalls: number;
      errors: number;
      events: number;
    }
  >;
  sessions: Record<
    string,
    {
      userId: string | null;
      clientName: string | null;
      clientVersion: string | null;
      serverName: string | null;
      serverVersion: string | null;
      firstSeen: number;
      lastSeen: number;
      events: number;
      toolCalls: number;
      errors: number;
      stateless: boolean;
      tools: string[];
    }
  >;
  /** event id → [session id, user id]. */
  links: Record<string, [string, string | null]>;
  /** `hour|tool` → calls, errors, duration histogram. */
  toolHours: Record<string, { calls: number; errors: number; histogram: Record<string, number> }>;
  /** `user|tool`. */
  userTools: Record<string, { calls: number; errors: number; first: number; last: number }>;
  /** `user|client|version`. */
  userClients: Record<string, { first: number; last: number }>;
  /** hour → sessions, identified. */
  sessionHours: Record<string, { sessions: number; identified: number }>;
  /** `hour|client|version` → sessions. */
  clientHours: Record<string, number>;
  /** `h|hour|tool` or `d|day|tool` → non-zero registers as `index:rank`. */
  sketches: Record<string, string[]>;
  /** `tool|message`. */
  errors: Record<
    string,
    {
      first: number;
      last: number;
      sample: string | null;
      users: string[];
      sessions: string[];
      hours: Record<string, number>;
    }
  >;
}

export const emptyProjection = (): Projection => ({
  users: {},
  sessions: {},
  links: {},
  toolHours: {},
  userTools: {},
  userClients: {},
  sessionHours: {},
  clientHours: {},
  sketches: {},
  errors: {},
});

/** Key parts joined for a projection key (`|` never needs escaping: keys are only compared). */
export const k = (...parts: (string | number | null)[]): string => parts.map((p) => String(p)).join("|");

/** Non-zero registers of a dense register array, as sorted `index:rank` strings. */
export function registerList(registers: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < registers.length; i++) if (registers[i]) out.push(`${i}:${registers[i]}`);
  return out;
}

/** Sorts keys and drops empty rollup rows, so projections compare as plain values. */
export function normalize(p: Projection): Projection {
  const sorted = <T>(record: Record<string, T>, keep: (value: T) => boolean = () => true) =>
    Object.fromEntries(
      Object.entries(record)
        .filter(([, v]) => keep(v))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  const histogram = (h: Record<string, number>) => sorted(h, (n) => n !== 0);
  return {
    users: sorted(p.users),
    sessions: sorted(
      Object.fromEntries(
        Object.entries(p.sessions).map(([id, s]) => [id, { ...s, tools: [...s.tools].sort() }]),
      ),
    ),
    links: sorted(p.links),
    toolHours: sorted(
      Object.fromEntries(
        Object.entries(p.toolHours).map(([key, v]) => [key, { ...v, histogram: histogram(v.histogram) }]),
      ),
      (v) => v.calls !== 0,
    ),
    userTools: sorted(p.userTools),
    userClients: sorted(p.userClients),
    sessionHours: sorted(p.sessionHours, (v) => v.sessions !== 0 || v.identified !== 0),
    clientHours: sorted(p.clientHours, (n) => n !== 0),
    sketches: sorted(p.sketches, (r) => r.length > 0),
    errors: sorted(
      Object.fromEntries(
        Object.entries(p.errors).map(([key, v]) => [
          key,
          { ...v, users: [...v.users].sort(), sessions: [...v.sessions].sort(), hours: histogram(v.hours) },
        ]),
      ),
    ),
  };
}
