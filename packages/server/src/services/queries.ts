import { AppError } from "../errors.js";
import type { Account, ErasureResult, PageRequest, Storage, TimeRange } from "../storage/index.js";
import { assertCanRead, requireAccount } from "./auth.js";

/** Read-side services: access check, then the storage query; 404s for unknown ids. */
export async function getUserProfile(
  storage: Storage,
  account: Account | null,
  projectId: string,
  userId: string,
  range: TimeRange,
) {
  await assertCanRead(storage, account, projectId);
  const profile = await storage.getUserProfile(projectId, userId, range);
  if (!profile) throw new AppError("user_not_found", `No user "${userId}" in project "${projectId}".`);
  return profile;
}

export async function getSessionTimeline(
  storage: Storage,
  account: Account | null,
  projectId: string,
  sessionId: string,
  page: PageRequest,
) {
  await assertCanRead(storage, account, projectId);
  const timeline = await storage.getSessionTimeline(projectId, sessionId, page);
  if (!timeline)
    throw new AppError("session_not_found", `No session "${sessionId}" in project "${projectId}".`);
  return timeline;
}

/** Erasure; admins and members of the project may erase its users. */
export async function deleteUser(
  storage: Storage,
  account: Account | null,
  projectId: string,
  userId: string,
): Promise<ErasureResult> {
  requireAccount(account);
  await assertCanRead(storage, account, projectId);
  const result = await storage.deleteUser(projectId, userId);
  if (!result) throw new AppError("user_not_found", `No user "${userId}" in project "${projectId}".`);
  return result;
}
