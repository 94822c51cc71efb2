import type { Project } from "../api";

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

/**
 * The empty state of a project that has not received any event yet. The collector builds the
 * TypeScript, Python and Go snippets (API.md, `GET /projects`); one source of truth.
 */
export function SetupSnippet({ project }: { project: Project }) {
  return (
    <section class="panel empty" aria-labelledby="setup-title">
      <h2 id="setup-title">No events yet — connect your MCP server</h2>
      <p>
        Install the SDK for your server's language from a checkout of this repository (
        <code>/path/to/mcpsight</code> below) with the commands in the dashed box, then wrap your server where
        you create it:
      </p>
      {project.snippets.map((snippet) => (
        <section key={snippet.language} class="sdk-snippet" aria-labelledby={`setup-${snippet.language}`}>
          <h3 id={`setup-${snippet.language}`}>{snippet.label}</h3>
          <pre class="snippet install">{snippet.install}</pre>
          <pre class="snippet code">{snippet.code.trimEnd()}</pre>
        </section>
      ))}
      <p>
        To see <em>who</em> uses your server, tell mcpsight who the user is. Without <code>identify</code>,
        sessions are counted as anonymous. In TypeScript:
      </p>
      <pre class="snippet">{identifySnippet(project)}</pre>
      <p class="muted small">
        Python and Go take an identify function too: docs/SDK-PYTHON.md and docs/SDK-GO.md in the repository.
        Project id <code>{project.id}</code> · collector <code>{project.collectorUrl}</code>. This page
        refreshes by itself as soon as the first event arrives.
      </p>
    </section>
  );
}
