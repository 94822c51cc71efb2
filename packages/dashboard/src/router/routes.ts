/** Every page of the dashboard, matched from the hash path. */
export type Route =
  | { name: "login" }
  | { name: "home" }
  | { name: "overview"; project: string }
  | { name: "users"; project: string }
  | { name: "user"; project: string; userId: string }
  | { name: "sessions"; project: string }
  | { name: "session"; project: string; sessionId: string }
  | { name: "tools"; project: string }
  | { name: "clients"; project: string }
  | { name: "errors"; project: string }
  | { name: "intents"; project: string }
  | { name: "access"; project: string }
  | { name: "account" }
  | { name: "not-found"; path: string };

export type ProjectPage =
  | "overview"
  | "users"
  | "sessions"
  | "tools"
  | "clients"
  | "errors"
  | "intents"
  | "access";

const LIST_PAGES = new Set<string>(["users", "sessions", "tools", "clients", "errors", "intents", "access"]);

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function matchRoute(path: string): Route {
  if (path === "/" || path === "") return { name: "home" };
  if (path === "/login") return { name: "login" };
  if (path === "/account") return { name: "account" };
  const parts = path.split("/").slice(1);
  if (parts[0] !== "p" || !parts[1]) return { name: "not-found", path };
  const project = decode(parts[1]);
  if (project === null) return { name: "not-found", path };
  const page = parts[2];
  const param = parts[3] === undefined ? undefined : decode(parts[3]);
  if (parts.length > 4 || param === null) return { name: "not-found", path };
  if (page === undefined || page === "overview") return { name: "overview", project };
  if (page === "users" && param !== undefined) return { name: "user", project, userId: param };
  if (page === "sessions" && param !== undefined) return { name: "session", project, sessionId: param };
  if (LIST_PAGES.has(page) && param === undefined)
    return { name: page as Exclude<ProjectPage, "overview">, project };
  return { name: "not-found", path };
}

/** Path helpers so that links are built in one place. */
export const paths = {
  login: () => "/login",
  account: () => "/account",
  page: (project: string, page: ProjectPage) => `/p/${encodeURIComponent(project)}/${page}`,
  user: (project: string, userId: string) =>
    `/p/${encodeURIComponent(project)}/users/${encodeURIComponent(userId)}`,
  session: (project: string, sessionId: string) =>
    `/p/${encodeURIComponent(project)}/sessions/${encodeURIComponent(sessionId)}`,
};
