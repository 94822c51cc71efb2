import { iso, isoOrNull } from "../../time.js";
import type { Project } from "../../types.js";
import { all, type Db, get, run } from "../db.js";

interface ProjectRow {
  id: string;
  name: string;
  created_at: number;
  last_event_at: number | null;
}

const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  name: row.name,
  createdAt: iso(row.created_at),
  lastEventAt: isoOrNull(row.last_event_at),
});

export function createProject(db: Db, input: { id: string; name: string }): Project {
  run(db, "INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)", input.id, input.name, Date.now());
  return getProject(db, input.id) as Project;
}

export function getProject(db: Db, projectId: string): Project | null {
  const row = get<ProjectRow>(db, "SELECT * FROM projects WHERE id = ?", projectId);
  return row ? toProject(row) : null;
}

export function listProjects(db: Db, ids?: string[]): Project[] {
  const rows = all<ProjectRow>(db, "SELECT * FROM projects ORDER BY created_at, pk");
  const wanted = ids ? new Set(ids) : null;
  return rows.filter((row) => !wanted || wanted.has(row.id)).map(toProject);
}

export function getSetting(db: Db, key: string): string | null {
  return get<{ value: string }>(db, "SELECT value FROM settings WHERE key = ?", key)?.value ?? null;
}

export function setSetting(db: Db, key: string, value: string): void {
  run(
    db,
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
    key,
    value,
  );
}
