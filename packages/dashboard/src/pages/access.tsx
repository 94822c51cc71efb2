import { useState } from "preact/hooks";
import {
  type CreatedToken,
  type Member,
  type Members,
  type Method,
  type PutMember,
  projectPath,
  type Role,
  request,
  type Token,
  type Tokens,
} from "../api";
import { ErrorNotice, Loadable, PageHead, Panel } from "../components/common";
import { type Column, DataTable } from "../components/data-table";
import { useApi } from "../hooks/use-api";
import { formatDateTime } from "../lib/format";
import { usePage } from "./context";

const ROLES: { value: Role; label: string }[] = [
  { value: "viewer", label: "Viewer (reads)" },
  { value: "admin", label: "Admin (reads, manages access)" },
];

function RoleOptions() {
  return (
    <>
      {ROLES.map((r) => (
        <option key={r.value} value={r.value}>
          {r.label}
        </option>
      ))}
    </>
  );
}

/**
 * Who may read the project: its members (viewer or admin) and its read-only API tokens. Only
 * the project's admins see this page in the menu; the API refuses anyone else.
 */
export function AccessPage() {
  const { project } = usePage();
  return (
    <>
      <PageHead title="Access" />
      {project.access === "admin" ? (
        <>
          <MembersPanel projectId={project.id} />
          <TokensPanel projectId={project.id} />
        </>
      ) : (
        <div class="panel empty">
          <p>
            You can read this project but not manage who else may. Ask one of its admins to add people or
            create tokens.
          </p>
        </div>
      )}
    </>
  );
}

/** Runs a change and reports its error; `after` refreshes what it changed. */
function useAction(after: () => void) {
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(method: Method, path: string, body?: unknown): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      const result = await request<T>(method, path, body === undefined ? {} : { body });
      after();
      return result;
    } catch (err) {
      setError(err as Error);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, error, busy };
}

function MembersPanel({ projectId }: { projectId: string }) {
  const state = useApi<Members>(projectPath(projectId, "members"), {});
  const { run, error, busy } = useAction(state.reload);
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [created, setCreated] = useState<{ username: string; password: string } | null>(null);

  const memberPath = (name: string) => projectPath(projectId, "members", name);
  const add = async (e: Event) => {
    e.preventDefault();
    const name = username.trim();
    const result = await run<PutMember>("PUT", memberPath(name), { role });
    if (!result) return;
    setUsername("");
    setCreated(result.password ? { username: name, password: result.password } : null);
  };
  const remove = (member: Member) => {
    if (window.confirm(`Remove ${member.username} from this project?`))
      void run("DELETE", memberPath(member.username));
  };

  const columns: Column<Member>[] = [
    {
      id: "username",
      label: "Member",
      render: (m) => (
        <span class="cell-main">
          {m.username}
          {m.accountRole === "admin" && (
            <>
              {" "}
              <span class="badge accent">global admin</span>
            </>
          )}
        </span>
      ),
    },
    {
      id: "role",
      label: "Role",
      render: (m) => (
        <select
          aria-label={`Role of ${m.username}`}
          value={m.role}
          disabled={busy}
          onChange={(e) => void run("PUT", memberPath(m.username), { role: e.currentTarget.value })}
        >
          <RoleOptions />
        </select>
      ),
    },
    {
      id: "remove",
      label: "",
      render: (m) => (
        <button type="button" disabled={busy} onClick={() => remove(m)} aria-label={`Remove ${m.username}`}>
          Remove
        </button>
      ),
    },
  ];

  return (
    <Panel flush title="Members">
      <form class="toolbar access-form" onSubmit={add} aria-label="Add a member">
        <label class="field">
          Username
          <input
            name="member-username"
            autocomplete="off"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </label>
        <label class="field">
          Role
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            <RoleOptions />
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Add member
        </button>
      </form>
      <div class="access-notes">
        {error && <ErrorNotice error={error} />}
        {created && (
          <div class="notice" role="status">
            Created the account <strong>{created.username}</strong>. Its password, shown only now:{" "}
            <code class="secret">{created.password}</code> — hand it over; they can change it under their
            account after signing in.
          </div>
        )}
      </div>
      <Loadable state={state}>
        {(data) => (
          <DataTable
            caption="Members"
            columns={columns}
            rows={data.items}
            rowKey={(m) => m.username}
            empty={
              <p class="empty muted">No members yet. Global admins read and manage every project anyway.</p>
            }
          />
        )}
      </Loadable>
    </Panel>
  );
}

function TokensPanel({ projectId }: { projectId: string }) {
  const state = useApi<Tokens>(projectPath(projectId, "tokens"), {});
  const { run, error, busy } = useAction(state.reload);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    const result = await run<CreatedToken>("POST", projectPath(projectId, "tokens"), { name: name.trim() });
    if (!result) return;
    setName("");
    setCreated(result);
  };
  const revoke = (token: Token) => {
    if (window.confirm(`Revoke the token "${token.name}"? Whatever uses it stops working.`))
      void run("DELETE", projectPath(projectId, "tokens", token.id));
  };

  const columns: Column<Token>[] = [
    { id: "name", label: "Name", render: (t) => <span class="cell-main">{t.name}</span> },
    { id: "id", label: "Id", secondary: true, render: (t) => <span class="mono small">{t.id}</span> },
    { id: "created", label: "Created", render: (t) => formatDateTime(t.createdAt) },
    { id: "by", label: "By", secondary: true, render: (t) => t.createdBy ?? <span class="muted">CLI</span> },
    {
      id: "revoke",
      label: "",
      render: (t) => (
        <button type="button" disabled={busy} onClick={() => revoke(t)} aria-label={`Revoke ${t.name}`}>
          Revoke
        </button>
      ),
    },
  ];

  return (
    <Panel flush title="Read tokens">
      <form class="toolbar access-form" onSubmit={create} aria-label="Create a token">
        <label class="field">
          Token name
          <input
            name="token-name"
            autocomplete="off"
            maxLength={100}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Create token
        </button>
      </form>
      <div class="access-notes">
        <p class="muted small">
          A token reads this project through the query API (<code>Authorization: Bearer …</code>) and manages
          nothing. It works until revoked, whoever created it.
        </p>
        {error && <ErrorNotice error={error} />}
        {created && (
          <div class="notice" role="status">
            Token <strong>{created.token.name}</strong> created. Copy it now; it is not shown again:
            <pre class="snippet secret">{created.secret}</pre>
          </div>
        )}
      </div>
      <Loadable state={state}>
        {(data) => (
          <DataTable
            caption="Read tokens"
            columns={columns}
            rows={data.items}
            rowKey={(t) => t.id}
            empty={<p class="empty muted">No tokens yet.</p>}
          />
        )}
      </Loadable>
    </Panel>
  );
}
