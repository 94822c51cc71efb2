import { iso, isoOrNull } from "../../time.js";
import type { Project } from "../../types.js";
import { all, get, run, type Sql } from "../db.js";

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

export async function createProject(db: Sql, input: { id: string; name: string }): Promise<Project> {
  const row = await get<ProjectRow>(
    db,
    "INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3) RETURNING *",
    [input.id, input.name, Date.now()],
  );
  return toProject(row as ProjectRow);
}

export async function getProject(db: Sql, projectId: string): Promise<Project | null> {
  const row = await get<ProjectRow>(db, "SELECT * FROM projects WHERE id = $1", [projectId]);
  return row ? toProject(row) : null;
}

export async function listProjects(db: Sql, ids?: string[]): Promise<Project[]> {
  const rows = ids
    ? await all<ProjectRow>(db, "SELECT * FROM projects WHERE id = ANY($1::text[]) ORDER BY created_at, pk", [
        ids,
      ])
    : await all<ProjectRow>(db, "SELECT * FROM projects ORDER BY created_at, pk");
  return rows.map(toProject);
}

export async function getSetting(db: Sql, key: string): Promise<string | null> {
  return (
    (await get<{ value: string }>(db, "SELECT value FROM settings WHERE key = $1", [key]))?.value ?? null
  );
}

export async function setSetting(db: Sql, key: string, value: string): Promise<void> {
  await run(
    db,
    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [key, value],
  );
}
