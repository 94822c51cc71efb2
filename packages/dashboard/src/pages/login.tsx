import { useState } from "preact/hooks";
import { type Account, ApiError, request } from "../api";

/** Username + password form; a wrong password shows the collector's message. */
export function LoginPage({ onLogin }: { onLogin: (account: Account) => void }) {
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const res = await request<{ account: Account }>("POST", "/auth/login", {
        body: { username, password },
        quiet401: true,
      });
      onLogin(res.account);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError("Wrong username or password.");
      else if (err instanceof ApiError && err.status === 429)
        setError("Too many attempts. Wait a minute and try again.");
      else setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <main class="login-wrap">
      <form class="panel login" onSubmit={submit} aria-labelledby="login-title">
        <div class="brand">
          <span class="brand-dot" aria-hidden="true" /> mcpsight
        </div>
        <h1 id="login-title">Sign in</h1>
        <label class="field">
          Username
          <input
            name="username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </label>
        <label class="field">
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
            autofocus
          />
        </label>
        {error && (
          <div class="alert" role="alert">
            {error}
          </div>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="muted small">The admin password is printed by the collector on its first start.</p>
      </form>
    </main>
  );
}
