import { AppError } from "../errors.js";
import type { ErasureResult, PageRequest, Storage, TimeRange } from "../storage/index.js";
import { assertCanManage, assertCanRead } from "./access.js";
import type { Principal } from "./auth.js";

/** Read-side services: access check, then the storage query; 404s for unknown ids. */
export async function getUserProfile(
  storage: Storage,
  principal: Principal | null,
  projectId: string,
  userId: string,
  range: TimeRange,
) {
  await assertCanRead(storage, principal, projectId);
  const profile = await storage.getUserProfile(projectId, userId, range);
  if (!profile) throw new AppError("user_not_found", `No user "${userId}" in project "${projectId}".`);
  return profile;
}

export async function getSessionTimeline(
  storage: Storage,
  principal: Principal | null,
  projectId: string,
  sessionId: string,
  page: PageRequest,
) {
  await assertCanRead(storage, principal, projectId);
  const timeline = await storage.getSessionTimeline(projectId, sessionId, page);
  if (!timeline)
    throw new AppError("session_not_found", `No session "${sessionId}" in project "${projectId}".`);
  return timeline;
}

/** Erasure; the project's admins (and global admins) may erase its users. */
export async function deleteUser(
  storage: Storage,
  principal: Principal | null,
  projectId: string,
  userId: string,
): Promise<ErasureResult> {
  await assertCanManage(storage, principal, projectId);
  const result = await storage.deleteUser(projectId, userId);
  if (!result) throw new AppError("user_not_found", `No user "${userId}" in project "${projectId}".`);
  return result;
}
