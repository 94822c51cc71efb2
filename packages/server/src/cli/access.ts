import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  createProjectToken,
  PROJECT_ROLES,
  putMember,
  removeMember,
  revokeProjectToken,
} from "../services/access.js";
import { checkNewPassword, setPassword } from "../services/auth.js";
import { randomSecret } from "../services/passwords.js";
import type { ProjectRole, Storage } from "../storage/index.js";
import { STORAGE_OPTIONS, storageFrom, UsageError } from "./common.js";
import { out } from "./print.js";

const STORAGE_HELP =
  "Every command takes --data-dir <dir> or --database-url <url>, as `mcpsight start` does.";

export const ACCESS_HELP = {
  member: `Usage:
  mcpsight member add <projectId> <username> [--role viewer|admin]
  mcpsight member list <projectId>
  mcpsight member remove <projectId> <username>

Members are accounts that may read a project. A viewer reads it; a project admin also manages
its members and read tokens in the dashboard (Access page) or the API. "add" creates the account
if it does not exist and prints its generated password once (the member changes it after
signing in); for an existing account it adds it, or changes its role (default viewer).
Global admins (such as "admin") read and manage every project without being members.

${STORAGE_HELP}`,
  token: `Usage:
  mcpsight token create <projectId> <name>
  mcpsight token list <projectId>
  mcpsight token revoke <projectId> <tokenId>

A project token reads one project through the query API (Authorization: Bearer mpt_…) and
manages nothing. "create" prints the token once; only its hash is stored. It belongs to the
project, not to who created it, and works until revoked.

${STORAGE_HELP}`,
  account: `Usage:
  mcpsight account list
  mcpsight account password <username>

"password" sets a new password for the account and ends all of its logins (API tokens keep
working). It reads the new password from standard input when that is not a terminal
(printf '%s\\n' "$NEW_PASSWORD" | mcpsight account password alice); otherwise it generates one
and prints it. Passwords have at least 8 characters.

${STORAGE_HELP}`,
};

/** Parses `<command> <action> …positionals` with the storage options plus `extra`. */
function parse(args: string[], extra: NonNullable<ParseArgsConfig["options"]> = {}) {
  const { values, positionals } = parseArgs({
    args,
    options: { ...STORAGE_OPTIONS, ...extra },
    allowPositionals: true,
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

async function withStorage(values: Record<string, unknown>, fn: (storage: Storage) => Promise<void>) {
  const storage = await storageFrom(values as Parameters<typeof storageFrom>[0]);
  try {
    await fn(storage);
  } finally {
    await storage.close();
  }
}

async function requireProject(storage: Storage, projectId: string | undefined, help: string) {
  if (!projectId) throw new UsageError(`a project id is needed\n\n${help}`);
  if (!(await storage.getProject(projectId)))
    throw new UsageError(`Project "${projectId}" does not exist; \`mcpsight project list\` shows the ids.`);
  return projectId;
}

export async function member(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { role: { type: "string" } });
  const [action, projectId, username] = positionals;
  const help = ACCESS_HELP.member;
  if (values.help || !action) return out(help);
  const role = (values.role ?? "viewer") as string;
  if (!(PROJECT_ROLES as readonly string[]).includes(role))
    throw new UsageError(`--role must be viewer or admin, got "${role}"`);
  await withStorage(values, async (storage) => {
    const project = await requireProject(storage, projectId, help);
    if (action === "list") {
      const members = await storage.listProjectMembers(project);
      for (const m of members)
        out(`${m.username}\t${m.role}${m.accountRole === "admin" ? "\t(global admin)" : ""}`);
      if (members.length === 0) out(`No members yet: mcpsight member add ${project} <username>`);
      return;
    }
    if (!username) throw new UsageError(`member ${action} needs a username\n\n${help}`);
    if (action === "add") {
      const added = await putMember(storage, project, username, role as ProjectRole);
      out(`${username} is now ${role === "admin" ? "an admin" : "a viewer"} of ${project}.`);
      if (added.password) out(`Created the account. Its password (shown only now): ${added.password}`);
    } else if (action === "remove") {
      await removeMember(storage, project, username);
      out(`Removed ${username} from ${project}.`);
    } else throw new UsageError(`unknown member command "${action}"\n\n${help}`);
  });
}

export async function token(args: string[]): Promise<void> {
  const { values, positionals } = parse(args);
  const [action, projectId, ...rest] = positionals;
  const help = ACCESS_HELP.token;
  if (values.help || !action) return out(help);
  await withStorage(values, async (storage) => {
    const project = await requireProject(storage, projectId, help);
    if (action === "create") {
      const name = rest.join(" ").trim();
      if (!name) throw new UsageError(`token create needs a name: mcpsight token create ${project} <name>`);
      const created = await createProjectToken(storage, project, name, null);
      out(
        `Created token ${created.token.id} ("${name}") reading ${project}. Shown only now:\n\n  ${created.secret}`,
      );
    } else if (action === "list") {
      const tokens = await storage.listProjectTokens(project);
      for (const t of tokens)
        out(`${t.id}\t${t.name}\tcreated ${t.createdAt} by ${t.createdBy ?? "the CLI"}`);
      if (tokens.length === 0) out(`No tokens yet: mcpsight token create ${project} <name>`);
    } else if (action === "revoke") {
      const tokenId = rest[0];
      if (!tokenId) throw new UsageError(`token revoke needs a token id (tok_…)\n\n${help}`);
      await revokeProjectToken(storage, project, tokenId);
      out(`Revoked ${tokenId}.`);
    } else throw new UsageError(`unknown token command "${action}"\n\n${help}`);
  });
}

/** The first line of standard input. */
async function readLine(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? "";
}

export async function account(args: string[]): Promise<void> {
  const { values, positionals } = parse(args);
  const [action, username] = positionals;
  const help = ACCESS_HELP.account;
  if (values.help || !action) return out(help);
  if (action !== "list" && action !== "password")
    throw new UsageError(`unknown account command "${action}"\n\n${help}`);
  if (action === "password" && !username)
    throw new UsageError(`account password needs a username\n\n${help}`);
  // Read before opening the database, so a slow pipe holds no connection.
  const typed = action === "password" && !process.stdin.isTTY ? await readLine() : null;
  // Nothing piped in (cron, `docker exec` without -i): say so, rather than "too short".
  if (typed === "")
    throw new UsageError(
      `account password read no password: standard input is not a terminal, so the new password is read from it. Pipe one in (printf '%s\\n' "$NEW_PASSWORD" | mcpsight account password ${username}), or run the command in a terminal to have one generated and printed.`,
    );
  await withStorage(values, async (storage) => {
    if (action === "list") {
      for (const a of await storage.listAccounts()) {
        const projects = await storage.listMemberships(a.id);
        const where =
          a.role === "admin" ? "every project" : projects.map((p) => `${p.projectId} (${p.role})`).join(", ");
        out(`${a.username}\t${a.role}\t${where || "no project"}`);
      }
      return;
    }
    const found = await storage.getAccountByUsername(username as string);
    if (!found) throw new UsageError(`No account "${username}"; \`mcpsight account list\` shows them.`);
    const password = typed ?? randomSecret("", 12);
    checkNewPassword(password, "password");
    await setPassword(storage, found.id, password);
    out(
      typed === null
        ? `New password for ${username} (shown only now): ${password}\nEvery login of ${username} has ended.`
        : `Changed the password of ${username}; every login of ${username} has ended.`,
    );
  });
}
