import { floorTo, HOUR_MS } from "../../time.js";
import { type Db, get, run } from "../db.js";

/** Records one error occurrence in its group, with its hour, session and user. */
export function recordError(
  db: Db,
  projectPk: number,
  key: { tool: string; message: string },
  ts: number,
  eventPk: number,
  sessionPk: number,
  userPk: number | null,
): void {
  const group = get<{ pk: number }>(
    db,
    `INSERT INTO error_groups (project_pk, tool, message, first_seen, last_seen, sample_event_pk)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_pk, tool, message) DO UPDATE SET
       first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
       sample_event_pk = CASE WHEN excluded.last_seen >= last_seen THEN excluded.sample_event_pk ELSE sample_event_pk END
     RETURNING pk`,
    projectPk,
    key.tool,
    key.message,
    ts,
    ts,
    eventPk,
  ) as { pk: number };
  run(
    db,
    `INSERT INTO error_hours (group_pk, hour, count, project_pk) VALUES (?, ?, 1, ?)
     ON CONFLICT DO UPDATE SET count = count + 1`,
    group.pk,
    floorTo(ts, HOUR_MS),
    projectPk,
  );
  if (run(db, "INSERT OR IGNORE INTO error_group_sessions VALUES (?, ?)", group.pk, sessionPk).changes > 0)
    run(db, "UPDATE error_groups SET sessions = sessions + 1 WHERE pk = ?", group.pk);
  if (userPk !== null) linkErrorUser(db, group.pk, userPk);
}

export function linkErrorUser(db: Db, groupPk: number, userPk: number): void {
  if (run(db, "INSERT OR IGNORE INTO error_group_users VALUES (?, ?)", groupPk, userPk).changes > 0)
    run(db, "UPDATE error_groups SET users = users + 1 WHERE pk = ?", groupPk);
}

export function errorGroupPk(
  db: Db,
  projectPk: number,
  key: { tool: string; message: string },
): number | null {
  return (
    get<{ pk: number }>(
      db,
      "SELECT pk FROM error_groups WHERE project_pk = ? AND tool = ? AND message = ?",
      projectPk,
      key.tool,
      key.message,
    )?.pk ?? null
  );
}
