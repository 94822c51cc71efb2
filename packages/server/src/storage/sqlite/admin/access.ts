import { type ProjectTokenRow, toProjectToken } from "../../shared/rows.js";
import type { Membership, ProjectMember, ProjectRole, ProjectToken } from "../../types.js";
import { all, type Db, get, projectPk, run } from "../db.js";

export function setMembership(db: Db, accountId: string, projectId: string, role: ProjectRole): void {
  const project = projectPk(db, projectId);
  if (project === undefined) throw new Error(`unknown project ${projectId}`);
  run(
    db,
    "INSERT INTO memberships (account_pk, project_pk, role) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET role = excluded.role",
    Number(accountId),
    project,
    role,
  );
}

export function removeMembership(db: Db, accountId: string, projectId: string): boolean {
  return (
    run(
      db,
      "DELETE FROM memberships WHERE account_pk = ? AND project_pk = (SELECT pk FROM projects WHERE id = ?)",
      Number(accountId),
      projectId,
    ).changes > 0
  );
}

export function listMemberships(db: Db, accountId: string): Membership[] {
  return all<Membership>(
    db,
    `SELECT p.id AS projectId, m.role FROM memberships m JOIN projects p ON p.pk = m.project_pk
     WHERE m.account_pk = ? ORDER BY p.created_at, p.pk`,
    Number(accountId),
  );
}

export function listProjectMembers(db: Db, projectId: string): ProjectMember[] {
  return all<ProjectMember>(
    db,
    `SELECT a.username, m.role, a.role AS accountRole FROM memberships m
     JOIN accounts a ON a.pk = m.account_pk JOIN projects p ON p.pk = m.project_pk
     WHERE p.id = ? ORDER BY a.username`,
    projectId,
  );
}

const SELECT_TOKENS = `SELECT t.id, p.id AS projectId, t.name, t.created_at AS createdAt, a.username AS createdBy
  FROM project_tokens t JOIN projects p ON p.pk = t.project_pk LEFT JOIN accounts a ON a.pk = t.created_by`;

export function createProjectToken(
  db: Db,
  input: { id: string; projectId: string; tokenHash: string; name: string; createdBy: string | null },
): ProjectToken {
  const project = projectPk(db, input.projectId);
  if (project === undefined) throw new Error(`unknown project ${input.projectId}`);
  run(
    db,
    "INSERT INTO project_tokens (id, project_pk, token_hash, name, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    input.id,
    project,
    input.tokenHash,
    input.name,
    input.createdBy === null ? null : Number(input.createdBy),
    Date.now(),
  );
  return toProjectToken(
    get<ProjectTokenRow>(db, `${SELECT_TOKENS} WHERE t.id = ?`, input.id) as ProjectTokenRow,
  );
}

export function listProjectTokens(db: Db, projectId: string): ProjectToken[] {
  return all<ProjectTokenRow>(
    db,
    `${SELECT_TOKENS} WHERE p.id = ? ORDER BY t.created_at, t.pk`,
    projectId,
  ).map(toProjectToken);
}

export function getProjectTokenByHash(db: Db, tokenHash: string): ProjectToken | null {
  const row = get<ProjectTokenRow>(db, `${SELECT_TOKENS} WHERE t.token_hash = ?`, tokenHash);
  return row ? toProjectToken(row) : null;
}

export function deleteProjectToken(db: Db, projectId: string, tokenId: string): boolean {
  return (
    run(
      db,
      "DELETE FROM project_tokens WHERE id = ? AND project_pk = (SELECT pk FROM projects WHERE id = ?)",
      tokenId,
      projectId,
    ).changes > 0
  );
}
