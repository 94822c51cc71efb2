// A stand-in for your user database: a few accounts, each with the credentials the examples
// accept (an OAuth-style access token and an API key). Credentials are demo values, not secrets.

export interface Account {
  id: string;
  name: string;
  role: "admin" | "editor" | "viewer";
  organisation: string;
  plan: "free" | "team" | "enterprise";
  /** Access token accepted by token-auth and mcp-auth. */
  token: string;
  /** API key accepted by api-key. */
  apiKey: string;
}

export const ACCOUNTS: readonly Account[] = [
  {
    id: "u_ada",
    name: "Ada Lovelace",
    role: "admin",
    organisation: "Analytical Engines",
    plan: "enterprise",
    token: "tok_ada_7f3c1e",
    apiKey: "key_ada_51b0d2",
  },
  {
    id: "u_grace",
    name: "Grace Hopper",
    role: "editor",
    organisation: "Compiler Works",
    plan: "team",
    token: "tok_grace_a90e44",
    apiKey: "key_grace_c3d811",
  },
  {
    id: "u_linus",
    name: "Linus Torvalds",
    role: "editor",
    organisation: "Kernel Folks",
    plan: "team",
    token: "tok_linus_0b7d29",
    apiKey: "key_linus_e4a6f0",
  },
  {
    id: "u_margaret",
    name: "Margaret Hamilton",
    role: "admin",
    organisation: "Apollo Guidance",
    plan: "enterprise",
    token: "tok_margaret_64c2ab",
    apiKey: "key_margaret_98f1e3",
  },
  {
    id: "u_alan",
    name: "Alan Turing",
    role: "viewer",
    organisation: "Bletchley Labs",
    plan: "free",
    token: "tok_alan_2e9f57",
    apiKey: "key_alan_7c05b8",
  },
  {
    id: "u_barbara",
    name: "Barbara Liskov",
    role: "viewer",
    organisation: "Substitution Inc",
    plan: "free",
    token: "tok_barbara_d1f6c0",
    apiKey: "key_barbara_3a7e92",
  },
];

const find = (predicate: (account: Account) => boolean): Account | undefined => ACCOUNTS.find(predicate);

export const accountById = (id: string): Account | undefined => find((a) => a.id === id);
export const accountByToken = (token: string): Account | undefined => find((a) => a.token === token);
export const accountByApiKey = (key: string): Account | undefined => find((a) => a.apiKey === key);

/** The account with this id; throws for an unknown id (the demo and tests use it). */
export function mustGetAccount(id: string): Account {
  const account = accountById(id);
  if (!account) throw new Error(`no demo account "${id}"`);
  return account;
}
