import type { Database } from "better-sqlite3";
import { backfillToolUsers } from "./derive/tool-users.js";

/**
 * The SQLite schema. Timestamps are epoch milliseconds; rows reference each other by integer
 * keys (`pk`), public ids are TEXT. Ingest appends to `events`; the derivation pass maintains the
 * derived tables (users, sessions, rollups) so that reads never aggregate raw events over a range.
 */
const MIGRATIONS: (string | ((db: Database) => void))[] = [
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE projects (
    pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at INTEGER NOT NULL,
    last_event_at INTEGER, dropped_events INTEGER NOT NULL DEFAULT 0,
    duplicate_events INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE accounts (
    pk INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE TABLE memberships (
    account_pk INTEGER NOT NULL REFERENCES accounts(pk) ON DELETE CASCADE,
    project_pk INTEGER NOT NULL REFERENCES projects(pk) ON DELETE CASCADE,
    PRIMARY KEY (account_pk, project_pk)
  ) WITHOUT ROWID;
  CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY, account_pk INTEGER NOT NULL REFERENCES accounts(pk) ON DELETE CASCADE,
    name TEXT NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE TABLE auth_sessions (
    id_hash TEXT PRIMARY KEY, account_pk INTEGER NOT NULL REFERENCES accounts(pk) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  );

  CREATE TABLE users (
    pk INTEGER PRIMARY KEY, project_pk INTEGER NOT NULL, user_id TEXT NOT NULL,
    user_name TEXT, user_data TEXT, profile_at INTEGER NOT NULL,
    first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
    sessions INTEGER NOT NULL DEFAULT 0, tool_calls INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0,
    UNIQUE (project_pk, user_id)
  );
  CREATE INDEX users_last_seen ON users (project_pk, last_seen DESC, user_id, first_seen);
  CREATE INDEX users_sessions ON users (project_pk, sessions DESC, user_id);
  CREATE INDEX users_tool_calls ON users (project_pk, tool_calls DESC, user_id);
  CREATE INDEX users_errors ON users (project_pk, errors DESC, user_id);
  CREATE INDEX users_first_seen ON users (project_pk, first_seen DESC);

  CREATE TABLE sessions (
    pk INTEGER PRIMARY KEY, project_pk INTEGER NOT NULL, session_id TEXT NOT NULL, user_pk INTEGER,
    client_name TEXT, client_version TEXT, server_name TEXT, server_version TEXT,
    first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
    events INTEGER NOT NULL DEFAULT 0, tool_calls INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0, stateless INTEGER NOT NULL DEFAULT 0,
    group_key TEXT,
    UNIQUE (project_pk, session_id)
  );
  CREATE INDEX sessions_last_seen ON sessions (project_pk, last_seen DESC, pk DESC);
  CREATE INDEX sessions_first_seen ON sessions (project_pk, first_seen);
  CREATE INDEX sessions_user ON sessions (user_pk, last_seen DESC, pk DESC) WHERE user_pk IS NOT NULL;
  CREATE INDEX sessions_group ON sessions (project_pk, group_key, last_seen) WHERE group_key IS NOT NULL;
  CREATE TABLE session_tools (
    session_pk INTEGER NOT NULL, tool TEXT NOT NULL, PRIMARY KEY (session_pk, tool)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    pk INTEGER PRIMARY KEY, project_pk INTEGER NOT NULL, event_id TEXT NOT NULL,
    session_pk INTEGER NOT NULL, user_pk INTEGER, ts INTEGER NOT NULL, event_type TEXT NOT NULL,
    resource_name TEXT, duration REAL, is_error INTEGER NOT NULL DEFAULT 0,
    error TEXT, user_intent TEXT, parameters TEXT, response TEXT, identify TEXT,
    client_name TEXT, client_version TEXT, server_name TEXT, server_version TEXT,
    sdk_language TEXT, sdk_version TEXT, tags TEXT, properties TEXT,
    UNIQUE (project_pk, event_id)
  );
  CREATE INDEX events_session ON events (session_pk, ts);
  CREATE INDEX events_user ON events (user_pk, ts) WHERE user_pk IS NOT NULL;
  CREATE INDEX events_intents ON events (project_pk, ts DESC)
    WHERE user_intent IS NOT NULL OR resource_name = 'get_more_tools';

  CREATE TABLE tool_hours (
    project_pk INTEGER NOT NULL, hour INTEGER NOT NULL, tool TEXT NOT NULL,
    calls INTEGER NOT NULL, errors INTEGER NOT NULL, histogram TEXT NOT NULL,
    PRIMARY KEY (project_pk, hour, tool)
  ) WITHOUT ROWID;
  CREATE TABLE session_hours (
    project_pk INTEGER NOT NULL, hour INTEGER NOT NULL, sessions INTEGER NOT NULL,
    identified INTEGER NOT NULL, PRIMARY KEY (project_pk, hour)
  ) WITHOUT ROWID;
  CREATE TABLE client_hours (
    project_pk INTEGER NOT NULL, hour INTEGER NOT NULL, client_name TEXT NOT NULL,
    client_version TEXT NOT NULL, sessions INTEGER NOT NULL,
    PRIMARY KEY (project_pk, hour, client_name, client_version)
  ) WITHOUT ROWID;
  CREATE TABLE user_tools (
    user_pk INTEGER NOT NULL, tool TEXT NOT NULL, project_pk INTEGER NOT NULL,
    calls INTEGER NOT NULL, errors INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
    PRIMARY KEY (user_pk, tool)
  ) WITHOUT ROWID;
  CREATE INDEX user_tools_tool ON user_tools (project_pk, tool, last_at, first_at);
  CREATE TABLE user_clients (
    user_pk INTEGER NOT NULL, client_name TEXT NOT NULL, client_version TEXT NOT NULL,
    project_pk INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
    PRIMARY KEY (user_pk, client_name, client_version)
  ) WITHOUT ROWID;
  CREATE INDEX user_clients_client ON user_clients (project_pk, client_name, client_version, last_at, first_at);

  CREATE TABLE error_groups (
    pk INTEGER PRIMARY KEY, project_pk INTEGER NOT NULL, tool TEXT NOT NULL, message TEXT NOT NULL,
    first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, users INTEGER NOT NULL DEFAULT 0,
    sessions INTEGER NOT NULL DEFAULT 0, sample_event_pk INTEGER,
    UNIQUE (project_pk, tool, message)
  );
  CREATE TABLE error_hours (
    group_pk INTEGER NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL,
    project_pk INTEGER NOT NULL, PRIMARY KEY (group_pk, hour)
  ) WITHOUT ROWID;
  CREATE INDEX error_hours_project ON error_hours (project_pk, hour);
  CREATE TABLE error_group_users (
    group_pk INTEGER NOT NULL, user_pk INTEGER NOT NULL, PRIMARY KEY (group_pk, user_pk)
  ) WITHOUT ROWID;
  CREATE INDEX error_group_users_user ON error_group_users (user_pk);
  CREATE TABLE error_group_sessions (
    group_pk INTEGER NOT NULL, session_pk INTEGER NOT NULL, PRIMARY KEY (group_pk, session_pk)
  ) WITHOUT ROWID;
  CREATE INDEX error_group_sessions_session ON error_group_sessions (session_pk);
  `,
  // Users per tool and per client, kept by triggers, so that "users active in a range" can be
  // counted from the smaller side: all of them minus those inactive before or after the range.
  `
  CREATE TABLE tool_user_counts (
    project_pk INTEGER NOT NULL, tool TEXT NOT NULL, users INTEGER NOT NULL,
    PRIMARY KEY (project_pk, tool)
  ) WITHOUT ROWID;
  INSERT INTO tool_user_counts SELECT project_pk, tool, count(*) FROM user_tools GROUP BY project_pk, tool;
  CREATE TRIGGER user_tools_counted AFTER INSERT ON user_tools BEGIN
    INSERT INTO tool_user_counts VALUES (NEW.project_pk, NEW.tool, 1)
      ON CONFLICT DO UPDATE SET users = users + 1;
  END;
  CREATE TRIGGER user_tools_uncounted AFTER DELETE ON user_tools BEGIN
    UPDATE tool_user_counts SET users = users - 1 WHERE project_pk = OLD.project_pk AND tool = OLD.tool;
  END;
  CREATE TABLE client_user_counts (
    project_pk INTEGER NOT NULL, client_name TEXT NOT NULL, client_version TEXT NOT NULL,
    users INTEGER NOT NULL, PRIMARY KEY (project_pk, client_name, client_version)
  ) WITHOUT ROWID;
  INSERT INTO client_user_counts
    SELECT project_pk, client_name, client_version, count(*) FROM user_clients
    GROUP BY project_pk, client_name, client_version;
  CREATE TRIGGER user_clients_counted AFTER INSERT ON user_clients BEGIN
    INSERT INTO client_user_counts VALUES (NEW.project_pk, NEW.client_name, NEW.client_version, 1)
      ON CONFLICT DO UPDATE SET users = users + 1;
  END;
  CREATE TRIGGER user_clients_uncounted AFTER DELETE ON user_clients BEGIN
    UPDATE client_user_counts SET users = users - 1
    WHERE project_pk = OLD.project_pk AND client_name = OLD.client_name AND client_version = OLD.client_version;
  END;
  `,
  // Distinct users per tool: HyperLogLog sketches per tool per hour and per day (shared/hll.ts),
  // merged at query time. Plain rowid tables: the rows hold up to 4 KB blobs.
  `
  CREATE TABLE tool_hour_users (
    project_pk INTEGER NOT NULL, hour INTEGER NOT NULL, tool TEXT NOT NULL, sketch BLOB NOT NULL,
    PRIMARY KEY (project_pk, hour, tool)
  );
  CREATE TABLE tool_day_users (
    project_pk INTEGER NOT NULL, day INTEGER NOT NULL, tool TEXT NOT NULL, sketch BLOB NOT NULL,
    PRIMARY KEY (project_pk, day, tool)
  );
  `,
  (db) => backfillToolUsers(db),
  // Substring search on user id and name: an FTS5 trigram index (case-insensitive) over the users
  // table, kept in sync by triggers. secure-delete removes an erased user's entries for real
  // instead of leaving them in older segments until a merge.
  `
  CREATE VIRTUAL TABLE users_search USING fts5(
    user_id, user_name, content = 'users', content_rowid = 'pk', tokenize = 'trigram'
  );
  INSERT INTO users_search (users_search, rank) VALUES ('secure-delete', 1);
  INSERT INTO users_search (users_search) VALUES ('rebuild');
  CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, user_id, user_name) VALUES (NEW.pk, NEW.user_id, NEW.user_name);
  END;
  CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, user_id, user_name)
      VALUES ('delete', OLD.pk, OLD.user_id, OLD.user_name);
  END;
  CREATE TRIGGER users_search_rename AFTER UPDATE OF user_id, user_name ON users
    WHEN OLD.user_name IS NOT NEW.user_name OR OLD.user_id IS NOT NEW.user_id BEGIN
    INSERT INTO users_search (users_search, rowid, user_id, user_name)
      VALUES ('delete', OLD.pk, OLD.user_id, OLD.user_name);
    INSERT INTO users_search (rowid, user_id, user_name) VALUES (NEW.pk, NEW.user_id, NEW.user_name);
  END;
  `,
  // Distinct users per tool come from the sketches now: the per-tool user totals and the
  // (project, tool, last_at) index that served the old count only made every user_tools write dearer.
  `
  DROP TRIGGER user_tools_counted;
  DROP TRIGGER user_tools_uncounted;
  DROP TABLE tool_user_counts;
  DROP INDEX user_tools_tool;
  `,
  // Renames update the search index from the pass's user writes (derive/transaction.ts) instead of a
  // trigger: any trigger on UPDATE of users made every counter update open the FTS table and flush
  // it at the statement's savepoint, which cost more than the update itself.
  `
  DROP TRIGGER users_search_rename;
  `,
  // Access for a team: a member's role per project, and read tokens that belong to a project
  // (not to an account). Earlier memberships only ever read, so they become viewers.
  `
  ALTER TABLE memberships ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';
  CREATE TABLE project_tokens (
    pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    project_pk INTEGER NOT NULL REFERENCES projects(pk) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    created_by INTEGER REFERENCES accounts(pk) ON DELETE SET NULL, created_at INTEGER NOT NULL
  );
  CREATE INDEX project_tokens_project ON project_tokens (project_pk, created_at);
  CREATE INDEX auth_sessions_account ON auth_sessions (account_pk);
  `,
  // The W3C trace and span id of a request (events from OTLP, or SDKs that know them), shown in
  // the replay so a call can be looked up in a tracing tool.
  "ALTER TABLE events ADD COLUMN trace_id TEXT; ALTER TABLE events ADD COLUMN span_id TEXT;",
  (db) => appendOnlyEvents(db),
];

/**
 * Ingest stores events only; the derivation pass (derive/) builds everything else from them.
 * The events table is rebuilt: what derivation reads (the session id, stateless flag and
 * correlation id as sent, the identity as sent) becomes columns, session and user move to
 * `event_links` (written by the pass), and keys are never reused (AUTOINCREMENT), so the pass's
 * cursor — the last derived key — never skips an event. The derived tables are emptied and the
 * cursor set to 0: the first pass after the upgrade rebuilds them with the current rules.
 */
function appendOnlyEvents(db: Database): void {
  db.exec(`
  CREATE TABLE events_v2 (
    pk INTEGER PRIMARY KEY AUTOINCREMENT, project_pk INTEGER NOT NULL, event_id TEXT NOT NULL,
    ts INTEGER NOT NULL, received_at INTEGER NOT NULL, event_type TEXT NOT NULL, resource_name TEXT,
    duration REAL, is_error INTEGER NOT NULL DEFAULT 0, error TEXT, user_intent TEXT, parameters TEXT,
    response TEXT, session_key TEXT, stateless INTEGER NOT NULL DEFAULT 0, correlation_id TEXT,
    actor_id TEXT, actor_name TEXT, actor_data TEXT, client_name TEXT, client_version TEXT,
    server_name TEXT, server_version TEXT, sdk_language TEXT, sdk_version TEXT, tags TEXT, properties TEXT,
    trace_id TEXT, span_id TEXT, UNIQUE (project_pk, event_id)
  );
  -- What derivation needs, recovered from the old derived rows: a session's id when it was named
  -- by one (not a lone stateless event's own session), a correlated group's correlation id, and
  -- the attributed user as the event's identity (re-deriving attributes the same way).
  INSERT INTO events_v2 (pk, project_pk, event_id, ts, received_at, event_type, resource_name, duration,
    is_error, error, user_intent, parameters, response, session_key, stateless, correlation_id, actor_id,
    actor_name, actor_data, client_name, client_version, server_name, server_version, sdk_language,
    sdk_version, tags, properties, trace_id, span_id)
  SELECT e.pk, e.project_pk, e.event_id, e.ts, e.ts, e.event_type, e.resource_name, e.duration, e.is_error,
    e.error, e.user_intent, e.parameters, e.response,
    CASE WHEN s.group_key IS NOT NULL THEN NULL
      WHEN s.stateless = 1 AND s.events = 1 AND s.session_id LIKE 'sl\\_%' ESCAPE '\\' THEN NULL
      ELSE s.session_id END,
    s.stateless,
    CASE WHEN s.group_key LIKE 'c:%'
      THEN substr(s.group_key, 3, length(s.group_key) - 3 - length(coalesce(e.client_name, ''))) END,
    u.user_id, json_extract(e.identify, '$.userName'), json(json_extract(e.identify, '$.userData')),
    e.client_name, e.client_version, e.server_name, e.server_version, e.sdk_language, e.sdk_version,
    e.tags, e.properties, e.trace_id, e.span_id
  FROM events e JOIN sessions s ON s.pk = e.session_pk LEFT JOIN users u ON u.pk = e.user_pk
  ORDER BY e.pk;
  -- Each user's stored profile rides on their newest event, so the rebuilt profile keeps it.
  CREATE TEMP TABLE newest AS
    SELECT project_pk, actor_id, max(ts) AS ts FROM events_v2 WHERE actor_id IS NOT NULL GROUP BY 1, 2;
  CREATE TEMP TABLE newest_event AS
    SELECT max(e.pk) AS pk, e.project_pk, e.actor_id FROM events_v2 e
    JOIN newest n ON n.project_pk = e.project_pk AND n.actor_id = e.actor_id AND n.ts = e.ts
    GROUP BY e.project_pk, e.actor_id;
  UPDATE events_v2 SET actor_name = u.user_name, actor_data = u.user_data
    FROM newest_event n JOIN users u ON u.project_pk = n.project_pk AND u.user_id = n.actor_id
    WHERE events_v2.pk = n.pk;
  DROP TABLE newest;
  DROP TABLE newest_event;
  DROP TABLE events;
  ALTER TABLE events_v2 RENAME TO events;
  CREATE INDEX events_intents ON events (project_pk, ts DESC)
    WHERE user_intent IS NOT NULL OR resource_name = 'get_more_tools';

  CREATE TABLE event_links (
    event_pk INTEGER PRIMARY KEY, session_pk INTEGER NOT NULL, user_pk INTEGER, ts INTEGER NOT NULL
  );
  CREATE INDEX event_links_session ON event_links (session_pk, ts);
  CREATE INDEX event_links_user ON event_links (user_pk, ts) WHERE user_pk IS NOT NULL;

  CREATE TABLE derivation (
    id INTEGER PRIMARY KEY CHECK (id = 1), cursor INTEGER NOT NULL, reindex_to INTEGER
  );
  INSERT INTO derivation VALUES (1, 0, NULL);
  CREATE TABLE erasures (
    project_pk INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, erased_at INTEGER NOT NULL,
    PRIMARY KEY (project_pk, kind, id)
  ) WITHOUT ROWID;

  ALTER TABLE users ADD COLUMN profile_clock TEXT;
  `);
  resetDerived(db);
}

/** Empties every derived table and sets the pass's cursor to the start (reindex, upgrades). */
export function resetDerived(db: Database): void {
  db.exec(`
  DROP TRIGGER users_search_delete;
  DELETE FROM users;
  INSERT INTO users_search (users_search) VALUES ('delete-all');
  CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, user_id, user_name)
      VALUES ('delete', OLD.pk, OLD.user_id, OLD.user_name);
  END;
  DELETE FROM sessions; DELETE FROM session_tools; DELETE FROM event_links;
  DELETE FROM tool_hours; DELETE FROM tool_hour_users; DELETE FROM tool_day_users;
  DELETE FROM session_hours; DELETE FROM client_hours; DELETE FROM user_tools;
  DELETE FROM user_clients; DELETE FROM client_user_counts;
  DELETE FROM error_groups; DELETE FROM error_hours; DELETE FROM error_group_users; DELETE FROM error_group_sessions;
  UPDATE projects SET last_event_at = NULL;
  UPDATE derivation SET cursor = 0, reindex_to = (SELECT max(pk) FROM events);
  `);
}

/** The schema version of databases written before the derivation pass (the upgrade tests build one). */
export const BEFORE_PASS = 9;

/** Applies pending migrations (up to `version`, default all: tests build older databases). */
export function migrate(db: Database, version = MIGRATIONS.length): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let i = current; i < version; i++) {
    db.transaction(() => {
      const migration = MIGRATIONS[i];
      if (typeof migration === "function") migration(db);
      else db.exec(migration as string);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
