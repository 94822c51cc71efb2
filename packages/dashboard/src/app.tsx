import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { type Account, ApiError, type Me, type Page, type Project, request, UNAUTHORIZED_EVENT } from "./api";
import { ErrorNotice, FreshnessNotice } from "./components/common";
import { TimeRangePicker } from "./components/time-range-picker";
import { LiveContext, type LiveSettings } from "./hooks/live";
import { parseRange } from "./lib/time-range";
import { AccountPage } from "./pages/account";
import { type PageContext, PageCtx } from "./pages/context";
import { LoginPage } from "./pages/login";
import { ProjectPageView } from "./pages/project-page";
import { buildHref, matchRoute, navigate, type ProjectPage, paths, sharedQuery, useLocation } from "./router";

type Auth = { state: "checking" } | { state: "out" } | { state: "in"; account: Account };

const NAV: { page: ProjectPage; label: string; adminOnly?: boolean }[] = [
  { page: "overview", label: "Overview" },
  { page: "users", label: "Users" },
  { page: "sessions", label: "Sessions" },
  { page: "tools", label: "Tools" },
  { page: "clients", label: "Clients" },
  { page: "errors", label: "Errors" },
  { page: "intents", label: "Intents" },
  { page: "access", label: "Access", adminOnly: true },
];

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  const [authError, setAuthError] = useState<Error | null>(null);

  const checkAuth = useCallback(() => {
    request<Me>("GET", "/auth/me", { quiet401: true })
      // The dashboard signs in with a cookie, so it is an account (a token is for scripts).
      .then((res) => setAuth(res.account ? { state: "in", account: res.account } : { state: "out" }))
      .catch((err: Error) => {
        if (err instanceof ApiError && err.status === 401) setAuth({ state: "out" });
        else setAuthError(err);
      });
  }, []);

  useEffect(() => {
    checkAuth();
    const onUnauthorized = () => setAuth({ state: "out" });
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, [checkAuth]);

  if (auth.state === "checking") {
    return (
      <main class="login-wrap">
        {authError ? <ErrorNotice error={authError} /> : <p class="muted">Loading…</p>}
      </main>
    );
  }
  if (auth.state === "out") {
    // The current URL is kept, so signing in lands on the deep link that was opened.
    return (
      <LoginPage
        onLogin={(account) => {
          if (matchRoute(window.location.hash.slice(1).split("?")[0] ?? "/").name === "login") navigate("/");
          setAuth({ state: "in", account });
        }}
      />
    );
  }
  return <SignedIn account={auth.account} onLogout={() => setAuth({ state: "out" })} />;
}

function SignedIn({ account, onLogout }: { account: Account; onLogout: () => void }) {
  const loc = useLocation();
  const route = matchRoute(loc.path);
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState<LiveSettings>({ enabled: true, intervalMs: 5000 });

  useEffect(() => {
    request<Page<Project>>("GET", "/projects")
      .then((res) => setProjects(res.items))
      .catch((err: Error) => setError(err));
  }, []);

  const first = projects?.[0];
  useEffect(() => {
    if ((route.name === "home" || route.name === "login") && first) {
      navigate(paths.page(first.id, "overview"), loc.query, true);
    }
  }, [route.name, first, loc.query]);

  const logout = async () => {
    try {
      await request("POST", "/auth/logout", { quiet401: true });
    } finally {
      navigate("/login");
      onLogout();
    }
  };

  const projectId = "project" in route ? route.project : undefined;
  const project = projects?.find((p) => p.id === projectId);
  const range = useMemo(() => parseRange(loc.query), [loc.query]);
  const ctx: PageContext | null = project
    ? { account, project, projects: projects ?? [], path: loc.path, query: loc.query, range }
    : null;

  let body: ComponentChildren;
  if (error) body = <ErrorNotice error={error} />;
  else if (route.name === "account") body = <AccountPage account={account} />;
  else if (!projects) body = <p class="muted">Loading…</p>;
  else if (projects.length === 0)
    body = (
      <div class="panel empty">
        <h1>No projects</h1>
        <p>
          This account cannot read any project yet. Create one with{" "}
          <code>npx mcpsight project create my-server</code>, or ask an admin to add you to one.
        </p>
      </div>
    );
  else if (route.name === "not-found" || (projectId !== undefined && !project))
    body = (
      <div class="panel empty">
        <h1>Page not found</h1>
        <p>
          {projectId !== undefined && !project ? "This project does not exist or you cannot read it. " : ""}
          <a href={buildHref(paths.page(projects[0]?.id ?? "", "overview"))}>Go to the overview</a>
        </p>
      </div>
    );
  else if (ctx) body = <ProjectPageView route={route} />;
  else body = <p class="muted">Loading…</p>;

  const activePage = route.name === "user" ? "users" : route.name === "session" ? "sessions" : route.name;
  const shared = sharedQuery(loc.query);

  return (
    <LiveContext.Provider value={live}>
      <PageCtx.Provider value={ctx}>
        <button type="button" class="skip-link" onClick={skipToMain}>
          Skip to content
        </button>
        <div class="shell">
          <header class="sidebar">
            <a class="brand" href={buildHref(project ? paths.page(project.id, "overview") : "/", shared)}>
              <span class="brand-dot" aria-hidden="true" /> mcpsight
            </a>
            {projects && projects.length > 1 && (
              <label class="field">
                Project
                <select
                  value={project?.id ?? ""}
                  onChange={(e) => {
                    const page = NAV.some((n) => n.page === activePage)
                      ? (activePage as ProjectPage)
                      : "overview";
                    navigate(paths.page(e.currentTarget.value, page), shared);
                  }}
                >
                  {/* Pages of no project (the account page) select none: say so, not a blank box. */}
                  {!project && (
                    <option value="" disabled>
                      Choose a project
                    </option>
                  )}
                  {projects.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {project && (
              <nav class="nav" aria-label="Pages">
                {NAV.filter((n) => !n.adminOnly || project.access === "admin").map((n) => (
                  <a
                    key={n.page}
                    href={buildHref(paths.page(project.id, n.page), shared)}
                    aria-current={activePage === n.page ? "page" : undefined}
                  >
                    {n.label}
                  </a>
                ))}
              </nav>
            )}
            <div class="sidebar-foot">
              <a
                class="small"
                href={buildHref(paths.account())}
                title={`Signed in as ${account.username} (${account.role}): your account and password`}
                aria-current={route.name === "account" ? "page" : undefined}
              >
                {account.username}
              </a>
              <button type="button" onClick={logout}>
                Log out
              </button>
            </div>
          </header>
          <div class="main">
            <div class="topbar">
              {project && <strong class="hide-narrow">{project.name}</strong>}
              <span class="spacer" />
              {/* The range and live refresh apply to a project's data, not to the account page. */}
              {project && <TimeRangePicker path={loc.path} query={loc.query} />}
              {project && (
                <label class="check live">
                  <input
                    type="checkbox"
                    checked={live.enabled}
                    onChange={(e) => setLive({ ...live, enabled: e.currentTarget.checked })}
                  />
                  <span class={live.enabled ? "live-dot" : "live-dot off"} aria-hidden="true" />
                  Live
                </label>
              )}
            </div>
            <main class="content" id="main" tabIndex={-1}>
              <FreshnessNotice />
              {body}
            </main>
          </div>
        </div>
      </PageCtx.Provider>
    </LiveContext.Provider>
  );
}

/** Hash routing owns `#…`, so the skip control moves focus itself rather than being an anchor. */
function skipToMain() {
  document.getElementById("main")?.focus();
}
