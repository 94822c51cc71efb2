import { floorTo, HOUR_MS } from "../../time.js";
import { all, run, type Sql } from "../db.js";

export interface ErrorOccurrence {
  key: { tool: string; message: string };
  ts: number;
  eventPk: number;
  sessionPk: number;
  userPk: number | null;
}

const SEP = "\u0000";

/**
 * Records a batch's errors: group rows (first/last seen, latest sample), hourly counts, and the
 * distinct users and sessions of each group. A group's `users`/`sessions` counters grow by the
 * link rows this statement actually inserted, so concurrent batches never double-count.
 * `userLinks` are users newly attributed to earlier errors of their session.
 */
export async function recordErrors(
  db: Sql,
  projectPk: number,
  occurrences: ErrorOccurrence[],
  userLinks: { key: { tool: string; message: string }; userPk: number }[],
): Promise<void> {
  if (occurrences.length === 0 && userLinks.length === 0) return;
  const groups = new Map<
    string,
    { tool: string; message: string; first: number; last: number; sample: number | null }
  >();
  const keyOf = (k: { tool: string; message: string }) => `${k.tool}${SEP}${k.message}`;
  for (const o of occurrences) {
    const key = keyOf(o.key);
    const g = groups.get(key);
    if (!g) groups.set(key, { ...o.key, first: o.ts, last: o.ts, sample: o.eventPk });
    else {
      g.first = Math.min(g.first, o.ts);
      if (o.ts >= g.last) g.sample = o.eventPk;
      g.last = Math.max(g.last, o.ts);
    }
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  const pks = new Map<string, number>();
  if (sorted.length > 0) {
    const rows = await all<{ pk: number; tool: string; message: string }>(
      db,
      `INSERT INTO error_groups (project_pk, tool, message, first_seen, last_seen, sample_event_pk)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
       ON CONFLICT (project_pk, tool, message) DO UPDATE SET
         first_seen = LEAST(error_groups.first_seen, excluded.first_seen),
         last_seen = GREATEST(error_groups.last_seen, excluded.last_seen),
         sample_event_pk = CASE WHEN excluded.last_seen >= error_groups.last_seen
           THEN excluded.sample_event_pk ELSE error_groups.sample_event_pk END
       RETURNING pk, tool, message`,
      [
        projectPk,
        sorted.map((g) => g.tool),
        sorted.map((g) => g.message),
        sorted.map((g) => g.first),
        sorted.map((g) => g.last),
        sorted.map((g) => g.sample),
      ],
    );
    for (const row of rows) pks.set(keyOf(row), row.pk);
  }
  const linkKeys = [...new Set(userLinks.map((l) => keyOf(l.key)))].filter((k) => !pks.has(k)).sort();
  if (linkKeys.length > 0) {
    const rows = await all<{ pk: number; tool: string; message: string }>(
      db,
      `SELECT g.pk, g.tool, g.message FROM unnest($2::text[], $3::text[]) AS k(tool, message)
       JOIN error_groups g ON g.project_pk = $1 AND g.tool = k.tool AND g.message = k.message`,
      [projectPk, linkKeys.map((k) => k.split(SEP)[0]), linkKeys.map((k) => k.split(SEP)[1])],
    );
    for (const row of rows) pks.set(keyOf(row), row.pk);
  }

  const hours = new Map<string, { group: number; hour: number; count: number }>();
  const sessions = new Set<string>();
  const users = new Set<string>();
  for (const o of occurrences) {
    const group = pks.get(keyOf(o.key)) as number;
    const hour = floorTo(o.ts, HOUR_MS);
    const hourKey = `${group}:${hour}`;
    const h = hours.get(hourKey) ?? { group, hour, count: 0 };
    h.count++;
    hours.set(hourKey, h);
    sessions.add(`${group}:${o.sessionPk}`);
    if (o.userPk !== null) users.add(`${group}:${o.userPk}`);
  }
  for (const link of userLinks) {
    const group = pks.get(keyOf(link.key));
    if (group !== undefined) users.add(`${group}:${link.userPk}`);
  }
  const hourRows = [...hours.values()].sort((a, b) => a.group - b.group || a.hour - b.hour);
  if (hourRows.length > 0)
    await run(
      db,
      `INSERT INTO error_hours (group_pk, hour, count, project_pk)
       SELECT g, h, c, $1 FROM unnest($2::bigint[], $3::bigint[], $4::int[]) AS x(g, h, c)
       ON CONFLICT (group_pk, hour) DO UPDATE SET count = error_hours.count + excluded.count`,
      [projectPk, hourRows.map((h) => h.group), hourRows.map((h) => h.hour), hourRows.map((h) => h.count)],
    );
  const pairs = (set: Set<string>) => {
    const list = [...set].map((p) => p.split(":").map(Number) as [number, number]);
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return [list.map((p) => p[0]), list.map((p) => p[1])];
  };
  const [sGroups, sSessions] = pairs(sessions);
  const [uGroups, uUsers] = pairs(users);
  await run(
    db,
    `WITH new_sessions AS (
       INSERT INTO error_group_sessions SELECT * FROM unnest($1::bigint[], $2::bigint[])
       ON CONFLICT DO NOTHING RETURNING group_pk
     ), new_users AS (
       INSERT INTO error_group_users SELECT * FROM unnest($3::bigint[], $4::bigint[])
       ON CONFLICT DO NOTHING RETURNING group_pk
     ), added AS (
       SELECT group_pk, sum(s) AS s, sum(u) AS u FROM (
         SELECT group_pk, 1 AS s, 0 AS u FROM new_sessions UNION ALL SELECT group_pk, 0, 1 FROM new_users
       ) x GROUP BY group_pk
     )
     UPDATE error_groups g SET sessions = g.sessions + added.s, users = g.users + added.u
     FROM added WHERE g.pk = added.group_pk`,
    [sGroups, sSessions, uGroups, uUsers],
  );
}
