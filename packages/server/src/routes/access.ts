import type { FastifyInstance, FastifyRequest } from "fastify";
import { parseBodyEnum, parseTokenName } from "../http/params.js";
import type {
  CreateTokenResponse,
  MembersResponse,
  PutMemberResponse,
  TokensResponse,
} from "../http/responses.js";
import {
  assertCanManage,
  createProjectToken,
  PROJECT_ROLES,
  putMember,
  removeMember,
  revokeProjectToken,
} from "../services/access.js";
import type { Storage } from "../storage/index.js";

type Req = FastifyRequest<{ Params: { projectId: string; username?: string; tokenId?: string } }>;

/**
 * Members and read tokens of a project (docs/API.md, "Access"): only the project's admins and
 * global admins may list or change them; anyone else who may read the project gets 403.
 */
export async function accessRoutes(app: FastifyInstance, options: { storage: Storage }): Promise<void> {
  const { storage } = options;
  const base = "/api/v1/projects/:projectId";
  const managed = async (request: Req) => {
    await assertCanManage(storage, request.principal, request.params.projectId);
    return request.params.projectId;
  };

  app.get(`${base}/members`, async (request: Req): Promise<MembersResponse> => {
    const projectId = await managed(request);
    return { items: await storage.listProjectMembers(projectId), nextCursor: null };
  });

  app.put(`${base}/members/:username`, async (request: Req): Promise<PutMemberResponse> => {
    const projectId = await managed(request);
    const role = parseBodyEnum(request.body, "role", PROJECT_ROLES);
    return putMember(storage, projectId, request.params.username ?? "", role);
  });

  app.delete(`${base}/members/:username`, async (request: Req) => {
    const projectId = await managed(request);
    await removeMember(storage, projectId, request.params.username ?? "");
    return { ok: true };
  });

  app.get(`${base}/tokens`, async (request: Req): Promise<TokensResponse> => {
    const projectId = await managed(request);
    return { items: await storage.listProjectTokens(projectId), nextCursor: null };
  });

  app.post(`${base}/tokens`, async (request: Req, reply): Promise<CreateTokenResponse> => {
    const projectId = await managed(request);
    const name = parseTokenName(request.body);
    // Only accounts manage (a project token is a viewer), so the creator is an account.
    const createdBy = request.principal?.kind === "account" ? request.principal.account.id : null;
    reply.status(201);
    return createProjectToken(storage, projectId, name, createdBy);
  });

  app.delete(`${base}/tokens/:tokenId`, async (request: Req) => {
    const projectId = await managed(request);
    await revokeProjectToken(storage, projectId, request.params.tokenId ?? "");
    return { ok: true };
  });
}
