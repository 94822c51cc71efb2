import type { Project } from "../api";

/** The collector builds the `track()` snippet (API.md, `GET /projects`); one source of truth. */
export function trackSnippet(project: Project): string {
  return project.snippet.trimEnd();
}

export function identifySnippet(project: Project): string {
  const id = JSON.stringify(project.id);
  const url = JSON.stringify(project.collectorUrl);
  return `track(server, ${id}, {
  apiBaseUrl: ${url},
  // Runs on a session's first tool call; return null to stay anonymous.
  identify: async (request, extra) => {
    const user = await lookUpUser(extra.authInfo?.token);
    return { userId: user.id, userName: user.name, userData: { plan: user.plan } };
  },
});`;
}

/** The empty state of a project that has not received any event yet. */
export function SetupSnippet({ project }: { project: Project }) {
  return (
    <section class="panel empty" aria-labelledby="setup-title">
      <h2 id="setup-title">No events yet — connect your MCP server</h2>
      <p>
        Install the SDK with <code>npm install mcpsight</code>, then wrap your server where you create it:
      </p>
      <pre class="snippet">{trackSnippet(project)}</pre>
      <p>
        To see <em>who</em> uses your server, tell mcpsight who the user is. Without <code>identify</code>,
        sessions are counted as anonymous:
      </p>
      <pre class="snippet">{identifySnippet(project)}</pre>
      <p class="muted small">
        Project id <code>{project.id}</code> · collector <code>{project.collectorUrl}</code>. This page
        refreshes by itself as soon as the first event arrives.
      </p>
    </section>
  );
}
