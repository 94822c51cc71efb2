/**
 * The query API endpoints both query benchmarks time (collector-queries.ts on SQLite,
 * postgres-queries.ts on PostgreSQL), with the same parameters and in the same order, so their
 * figures sit side by side.
 */

/** Nearest-rank quantile of an ascending-sorted list (p95 of 30 requests: the second slowest). */
export const nearestRank = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

export interface EndpointTimes {
  name: string;
  /** Milliseconds per request, in request order. */
  times: number[];
}

/**
 * Requests every endpoint `runs` times over HTTP with a bearer token, printing a p50/p95 table
 * through `out`; returns the request times.
 */
export async function timeQueryEndpoints(
  collectorUrl: string,
  projectId: string,
  token: string,
  runs: number,
  out: (line: string) => void,
): Promise<EndpointTimes[]> {
  const get = async (path: string) => {
    const res = await fetch(`${collectorUrl}/api/v1/projects/${projectId}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const users = (await get("/users?limit=50")).items as { userId: string }[];
  const sessions = (await get("/sessions?limit=50")).items as { sessionId: string }[];
  const page2 = ((await get("/users?sort=toolCalls")).nextCursor as string | null) ?? "";
  const pick = <T>(list: T[], i: number) => list[i % list.length] as T;
  const endpoints: [string, (i: number) => string][] = [
    ["overview (7 days)", () => "/overview"],
    ["overview (30 days)", () => `/overview?from=${Date.now() - 30 * 86_400_000}`],
    ["users (lastSeen)", () => "/users"],
    ["users (toolCalls, page 2)", () => `/users?sort=toolCalls&cursor=${page2}`],
    ["users (search)", (i) => `/users?search=user_${i}9`],
    ["users/:userId", (i) => `/users/${pick(users, i).userId}`],
    ["sessions", () => "/sessions"],
    ["sessions (hasError)", () => "/sessions?hasError=true"],
    ["sessions (tool)", () => "/sessions?tool=tool_05"],
    ["sessions (userId)", (i) => `/sessions?userId=${pick(users, i).userId}`],
    ["sessions/:sessionId", (i) => `/sessions/${pick(sessions, i).sessionId}`],
    ["tools", () => "/tools"],
    ["clients", () => "/clients"],
    ["errors", () => "/errors"],
    ["intents", () => "/intents"],
  ];
  out(`\n| endpoint | p50 ms | p95 ms |\n| --- | ---: | ---: |`);
  const measured: EndpointTimes[] = [];
  for (const [name, path] of endpoints) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await get(path(i));
      times.push(performance.now() - t);
    }
    const sorted = [...times].sort((a, b) => a - b);
    out(`| ${name} | ${nearestRank(sorted, 0.5).toFixed(1)} | ${nearestRank(sorted, 0.95).toFixed(1)} |`);
    measured.push({ name, times });
  }
  return measured;
}
