"""A stand-in for your user database: the same accounts as the TypeScript examples
(examples/shared/users.ts), each with an access token and an API key. Demo values, not secrets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    role: str
    organisation: str
    plan: str
    token: str
    """Access token accepted by token_auth and mcp_auth."""
    api_key: str
    """API key accepted by api_key."""


ACCOUNTS = (
    Account(
        "u_ada",
        "Ada Lovelace",
        "admin",
        "Analytical Engines",
        "enterprise",
        "tok_ada_7f3c1e",
        "key_ada_51b0d2",
    ),
    Account(
        "u_grace", "Grace Hopper", "editor", "Compiler Works", "team", "tok_grace_a90e44", "key_grace_c3d811"
    ),
    Account(
        "u_linus", "Linus Torvalds", "editor", "Kernel Folks", "team", "tok_linus_0b7d29", "key_linus_e4a6f0"
    ),
    Account(
        "u_margaret",
        "Margaret Hamilton",
        "admin",
        "Apollo Guidance",
        "enterprise",
        "tok_margaret_64c2ab",
        "key_margaret_98f1e3",
    ),
    Account(
        "u_alan", "Alan Turing", "viewer", "Bletchley Labs", "free", "tok_alan_2e9f57", "key_alan_7c05b8"
    ),
    Account(
        "u_barbara",
        "Barbara Liskov",
        "viewer",
        "Substitution Inc",
        "free",
        "tok_barbara_d1f6c0",
        "key_barbara_3a7e92",
    ),
)


def account_by_id(user_id: str) -> Account | None:
    return next((a for a in ACCOUNTS if a.id == user_id), None)


def account_by_token(token: str) -> Account | None:
    return next((a for a in ACCOUNTS if a.token == token), None)


def account_by_api_key(key: str) -> Account | None:
    return next((a for a in ACCOUNTS if a.api_key == key), None)
