"""MCP authentication on a stateful Streamable HTTP server: the MCP SDK's bearer authentication
(a ``TokenVerifier``) checks the ``Authorization: Bearer …`` token before any MCP message is
handled, and identify reads the verified token with ``get_access_token()``. In production the
verifier checks tokens issued by your OAuth authorization server (JWT signature or
introspection); here it is an in-process table.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… PORT=3002 python -m mcp_auth.server
    → http://127.0.0.1:3002/mcp, with the header Authorization: Bearer tok_grace_a90e44
"""

import time
from typing import Any

import mcpsight
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from shared.config import collector_config, port_from_env
from shared.notes import new_server, register_note_tools
from shared.serve import http_app, serve_http
from shared.users import account_by_token

config = collector_config()
port = port_from_env(3002)


class Verifier:
    """The MCP SDK's TokenVerifier protocol: None refuses the request (401)."""

    async def verify_token(self, token: str) -> AccessToken | None:
        account = account_by_token(token)
        if account is None:
            return None
        return AccessToken(
            token=token,
            client_id="notes-web",
            scopes=["notes:read"] if account.role == "viewer" else ["notes:read", "notes:write"],
            expires_at=int(time.time()) + 3600,
            # What your authorization server put in the token: the subject and its profile.
            subject=account.id,
            claims={"name": account.name, "organisation": account.organisation},
        )


server = new_server(
    "notes-mcp-auth",
    token_verifier=Verifier(),
    auth=AuthSettings(
        issuer_url="https://auth.example.com",
        resource_server_url=f"http://127.0.0.1:{port}/mcp",
        validate_token_resource=False,
    ),
)
register_note_tools(server)


def identify(request: Any, context: Any) -> Any:
    """Stateful: once per session on the first tool call (again if the token changes)."""
    token = get_access_token()
    if token is None or token.subject is None:
        return None
    claims = token.claims or {}
    return mcpsight.UserIdentity(
        user_id=token.subject,
        user_name=claims.get("name"),
        user_data={
            "organisation": claims.get("organisation"),
            "scopes": token.scopes,
            "client": token.client_id,
        },
    )


mcpsight.track(
    server, config.project_id, mcpsight.Options(api_base_url=config.api_base_url, identify=identify)
)

if __name__ == "__main__":
    serve_http(http_app(server, stateless=False), port, "notes-mcp-auth (stateful, bearer auth)")
