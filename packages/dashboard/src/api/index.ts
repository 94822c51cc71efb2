export {
  API_BASE,
  ApiError,
  apiUrl,
  type Method,
  type Params,
  request,
  requestText,
  UNAUTHORIZED_EVENT,
} from "./client";
export type * from "./types";

/** Path of a per-project endpoint, e.g. `projectPath("p1", "users", userId)`. */
export function projectPath(projectId: string, ...rest: string[]): string {
  return `/projects/${[projectId, ...rest].map(encodeURIComponent).join("/")}`;
}
