import { compareIds } from "../../derive/order.js";
import type { ErrorOccurrence } from "../../derive/types.js";
import { floorTo, HOUR_MS } from "../../time.js";
import { run, type Sql } from "../db.js";

const SEP = "\u0000";
const keyOf = (k: { tool: string; message: string }) => `${k.tool}${SEP}${k.message}`;

/**
 * Records a chunk's errors in two pipelined statements: the group rows (first/last seen, the
 * latest occurrence — by time, then event id — as sample), then — finding the groups by key, so
 * no result has to come back first — hourly counts and the distinct users and sessions of each
 * group, whose counters grow by the link rows that statement actually inserted. `userLinks` and
 * `sessionLinks` are stored occurrences newly attributed to a user or merged into a session.
 */
export function recordErrors(
  db: Sql,
  projectPk: number,
  occurrences: ErrorOccurrence[],
  userLinks: { key: { tool: string; message: string }; userPk: number }[],
  sessionLinks: { key: { tool: string; message: string }; sessionPk: number }[] = [],
): Promise<unknown>[] {
  if (occurrences.length === 0 && userLinks.length === 0 && sessionLinks.length === 0) return [];
  const groups = new Map<
    string,
    { tool: string; message: string; first: number; last: number; sample: number; sampleId: string }
  >();
  for (const o of occurrences) {
    const key = keyOf(o.key);
    const g = groups.get(key);
    if (!g) groups.set(key, { ...o.key, first: o.ts, last: o.ts, sample: o.eventPk, sampleId: o.eventId });
    else {
      g.first = Math.min(g.first, o.ts);
      if (o.ts > g.last || (o.ts === g.last && compareIds(o.eventId, g.sampleId) > 0)) {
        g.sample = o.eventPk;
        g.sampleId = o.eventId;
      }
      g.last = Math.max(g.last, o.ts);
    }
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  const statements: Promise<unknown>[] = [];
  if (sorted.length > 0)
    statements.push(
      run(
        db,
        `INSERT INTO error_groups (project_pk, tool, message, first_seen, last_seen, sample_event_pk)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
         ON CONFLICT (project_pk, tool, md5(message)) DO UPDATE SET
           first_seen = LEAST(error_groups.first_seen, excluded.first_seen),
           last_seen = GREATEST(error_groups.last_seen, excluded.last_seen),
           sample_event_pk = CASE WHEN excluded.last_seen > error_groups.last_seen
               OR (excluded.last_seen = error_groups.last_seen
                 AND (SELECT event_id FROM events WHERE pk = excluded.sample_event_pk)
                   > coalesce((SELECT event_id FROM events WHERE pk = error_groups.sample_event_pk), ''))
             THEN excluded.sample_event_pk ELSE error_groups.sample_event_pk END`,
        [
          projectPk,
          sorted.map((g) => g.tool),
          sorted.map((g) => g.message),
          sorted.map((g) => g.first),
          sorted.map((g) => g.last),
          sorted.map((g) => g.sample),
        ],
      ),
    );

  // Every key the batch touches, numbered from 1 (the statement's ordinality).
  const keys = new Map<string, { index: number; tool: string; message: string }>();
  const indexOf = (k: { tool: string; message: string }) => {
    const key = keyOf(k);
    let entry = keys.get(key);
    if (!entry) {
      entry = { index: keys.size + 1, ...k };
      keys.set(key, entry);
    }
    return entry.index;
  };
  const hours = new Map<string, { index: number; hour: number; count: number }>();
  const sessions = new Map<string, [number, number]>();
  const users = new Map<string, [number, number]>();
  for (const o of occurrences) {
    const index = indexOf(o.key);
    const hour = floorTo(o.ts, HOUR_MS);
    const h = hours.get(`${index}:${hour}`) ?? { index, hour, count: 0 };
    h.count++;
    hours.set(`${index}:${hour}`, h);
    sessions.set(`${index}:${o.sessionPk}`, [index, o.sessionPk]);
    if (o.userPk !== null) users.set(`${index}:${o.userPk}`, [index, o.userPk]);
  }
  for (const link of userLinks) {
    const index = indexOf(link.key);
    users.set(`${index}:${link.userPk}`, [index, link.userPk]);
  }
  for (const link of sessionLinks) {
    const index = indexOf(link.key);
    sessions.set(`${index}:${link.sessionPk}`, [index, link.sessionPk]);
  }
  const hourRows = [...hours.values()];
  const sessionPairs = [...sessions.values()];
  const userPairs = [...users.values()];
  statements.push(
    run(
      db,
      `WITH keys AS (
         SELECT g.pk, k.i FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS k(tool, message, i)
         JOIN error_groups g ON g.project_pk = $1 AND g.tool = k.tool AND md5(g.message) = md5(k.message)
           AND g.message = k.message
       ), hour_rows AS (
         INSERT INTO error_hours (group_pk, hour, count, project_pk)
         SELECT k.pk, x.hour, x.count, $1 FROM unnest($4::int[], $5::bigint[], $6::int[]) AS x(i, hour, count)
         JOIN keys k USING (i) ORDER BY k.pk, x.hour
         ON CONFLICT (group_pk, hour) DO UPDATE SET count = error_hours.count + excluded.count
       ), new_sessions AS (
         INSERT INTO error_group_sessions (group_pk, session_pk)
         SELECT k.pk, x.s FROM unnest($7::int[], $8::bigint[]) AS x(i, s) JOIN keys k USING (i) ORDER BY 1, 2
         ON CONFLICT DO NOTHING RETURNING group_pk
       ), new_users AS (
         INSERT INTO error_group_users (group_pk, user_pk)
         SELECT k.pk, x.u FROM unnest($9::int[], $10::bigint[]) AS x(i, u) JOIN keys k USING (i) ORDER BY 1, 2
         ON CONFLICT DO NOTHING RETURNING group_pk
       ), added AS (
         SELECT group_pk, sum(s) AS s, sum(u) AS u FROM (
           SELECT group_pk, 1 AS s, 0 AS u FROM new_sessions UNION ALL SELECT group_pk, 0, 1 FROM new_users
         ) x GROUP BY group_pk
       )
       UPDATE error_groups g SET sessions = g.sessions + added.s, users = g.users + added.u
       FROM added WHERE g.pk = added.group_pk`,
      [
        projectPk,
        [...keys.values()].map((k) => k.tool),
        [...keys.values()].map((k) => k.message),
        hourRows.map((h) => h.index),
        hourRows.map((h) => h.hour),
        hourRows.map((h) => h.count),
        sessionPairs.map((p) => p[0]),
        sessionPairs.map((p) => p[1]),
        userPairs.map((p) => p[0]),
        userPairs.map((p) => p[1]),
      ],
    ),
  );
  return statements;
}
