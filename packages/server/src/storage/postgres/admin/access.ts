import { type ProjectTokenRow, toProjectToken } from "../../shared/rows.js";
import type { Membership, ProjectMember, ProjectRole, ProjectToken } from "../../types.js";
import { all, get, projectPk, run, type Sql } from "../db.js";
import { accountPk } from "./accounts.js";

export async function setMembership(
  db: Sql,
  accountId: string,
  projectId: string,
  role: ProjectRole,
): Promise<void> {
  const project = await projectPk(db, projectId);
  if (project === undefined) throw new Error(`unknown project ${projectId}`);
  await run(
    db,
    `INSERT INTO memberships (account_pk, project_pk, role) VALUES ($1, $2, $3)
     ON CONFLICT (account_pk, project_pk) DO UPDATE SET role = excluded.role`,
    [accountPk(accountId), project, role],
  );
}

export async function removeMembership(db: Sql, accountId: string, projectId: string): Promise<boolean> {
  const removed = await run(
    db,
    "DELETE FROM memberships WHERE account_pk = $1 AND project_pk = (SELECT pk FROM projects WHERE id = $2)",
    [accountPk(accountId), projectId],
  );
  return removed > 0;
}

export async function listMemberships(db: Sql, accountId: string): Promise<Membership[]> {
  return all<Membership>(
    db,
    `SELECT p.id AS "projectId", m.role FROM memberships m JOIN projects p ON p.pk = m.project_pk
     WHERE m.account_pk = $1 ORDER BY p.created_at, p.pk`,
    [accountPk(accountId)],
  );
}

export async function listProjectMembers(db: Sql, projectId: string): Promise<ProjectMember[]> {
  return all<ProjectMember>(
    db,
    `SELECT a.username, m.role, a.role AS "accountRole" FROM memberships m
     JOIN accounts a ON a.pk = m.account_pk JOIN projects p ON p.pk = m.project_pk
     WHERE p.id = $1 ORDER BY a.username COLLATE "C"`,
    [projectId],
  );
}

const SELECT_TOKENS = `SELECT t.id, p.id AS "projectId", t.name, t.created_at AS "createdAt",
    a.username AS "createdBy"
  FROM project_tokens t JOIN projects p ON p.pk = t.project_pk LEFT JOIN accounts a ON a.pk = t.created_by`;

export async function createProjectToken(
  db: Sql,
  input: { id: string; projectId: string; tokenHash: string; name: string; createdBy: string | null },
): Promise<ProjectToken> {
  const project = await projectPk(db, input.projectId);
  if (project === undefined) throw new Error(`unknown project ${input.projectId}`);
  await run(
    db,
    `INSERT INTO project_tokens (id, project_pk, token_hash, name, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      input.id,
      project,
      input.tokenHash,
      input.name,
      input.createdBy === null ? null : accountPk(input.createdBy),
      Date.now(),
    ],
  );
  return toProjectToken(
    (await get<ProjectTokenRow>(db, `${SELECT_TOKENS} WHERE t.id = $1`, [input.id])) as ProjectTokenRow,
  );
}

export async function listProjectTokens(db: Sql, projectId: string): Promise<ProjectToken[]> {
  const rows = await all<ProjectTokenRow>(
    db,
    `${SELECT_TOKENS} WHERE p.id = $1 ORDER BY t.created_at, t.pk`,
    [projectId],
  );
  return rows.map(toProjectToken);
}

export async function getProjectTokenByHash(db: Sql, tokenHash: string): Promise<ProjectToken | null> {
  const row = await get<ProjectTokenRow>(db, `${SELECT_TOKENS} WHERE t.token_hash = $1`, [tokenHash]);
  return row ? toProjectToken(row) : null;
}

export async function deleteProjectToken(db: Sql, projectId: string, tokenId: string): Promise<boolean> {
  const removed = await run(
    db,
    "DELETE FROM project_tokens WHERE id = $1 AND project_pk = (SELECT pk FROM projects WHERE id = $2)",
    [tokenId, projectId],
  );
  return removed > 0;
}
