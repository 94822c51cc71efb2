/** Error codes the collector answers with; see docs/API.md. */
export type ErrorCode =
  | "invalid_query"
  | "invalid_body"
  | "invalid_batch"
  | "invalid_event"
  | "invalid_path"
  | "unauthorized"
  | "forbidden"
  | "project_not_found"
  | "user_not_found"
  | "session_not_found"
  | "member_not_found"
  | "token_not_found"
  | "not_found"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "overloaded"
  | "unavailable"
  | "internal";

const STATUS: Record<ErrorCode, number> = {
  invalid_query: 400,
  invalid_body: 400,
  invalid_batch: 400,
  invalid_event: 400,
  invalid_path: 400,
  unauthorized: 401,
  forbidden: 403,
  project_not_found: 404,
  user_not_found: 404,
  session_not_found: 404,
  member_not_found: 404,
  token_not_found: 404,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  overloaded: 503,
  unavailable: 503,
  internal: 500,
};

/**
 * A typed error; the HTTP layer turns it into `{ error: { code, message, details } }`, with a
 * `Retry-After` header of `retryAfter` seconds when set.
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

/** A wrong password, at login or when changing it: counted by the login limit. */
export class WrongPasswordError extends AppError {}

export const projectNotFound = (projectId: string) =>
  new AppError(
    "project_not_found",
    `Project "${projectId}" does not exist (or you may not read it). Create it with \`mcpsight project create <name>\` and use the id it prints.`,
  );

export const invalidQuery = (field: string, reason: string) =>
  new AppError("invalid_query", `${field} ${reason}`, [{ field, reason }]);
