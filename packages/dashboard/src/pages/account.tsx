import { useState } from "preact/hooks";
import { type Account, request } from "../api";
import { PageHead, Panel } from "../components/common";

/** The signed-in account, and changing its password (which ends its other logins). */
export function AccountPage({ account }: { account: Account }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (next !== repeat) {
      setMessage({ ok: false, text: "The new password and its repetition differ." });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await request("POST", "/auth/password", { body: { currentPassword: current, newPassword: next } });
      setCurrent("");
      setNext("");
      setRepeat("");
      setMessage({ ok: true, text: "Password changed. Every other login of this account has ended." });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHead title="Your account" />
      <Panel title="Signed in">
        <dl class="kv">
          <dt>Username</dt>
          <dd>{account.username}</dd>
          <dt>Role</dt>
          <dd>
            {account.role === "admin"
              ? "Global admin: reads and manages every project"
              : "Member: reads the projects you were added to"}
          </dd>
        </dl>
      </Panel>
      <Panel title="Change password">
        <form class="login" onSubmit={submit} aria-label="Change password">
          <input
            type="text"
            name="username"
            autocomplete="username"
            value={account.username}
            hidden
            readOnly
          />
          <label class="field">
            Current password
            <input
              type="password"
              autocomplete="current-password"
              value={current}
              onInput={(e) => setCurrent(e.currentTarget.value)}
              required
            />
          </label>
          <label class="field">
            New password (at least 8 characters)
            <input
              type="password"
              autocomplete="new-password"
              minLength={8}
              value={next}
              onInput={(e) => setNext(e.currentTarget.value)}
              required
            />
          </label>
          <label class="field">
            Repeat the new password
            <input
              type="password"
              autocomplete="new-password"
              value={repeat}
              onInput={(e) => setRepeat(e.currentTarget.value)}
              required
            />
          </label>
          {message && (
            <div class={message.ok ? "notice" : "alert"} role={message.ok ? "status" : "alert"}>
              {message.text}
            </div>
          )}
          <button type="submit" class="primary" disabled={busy}>
            Change password
          </button>
        </form>
      </Panel>
    </>
  );
}
