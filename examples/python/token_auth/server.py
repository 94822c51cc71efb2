"""Token-based authentication: the caller's token arrives as a tool argument (stdio clients
configured with a personal token) or from the MCP SDK's bearer authentication (``get_access_token()``,
on HTTP). identify validates it and maps it to a user, with facts about them as user_data. Invalid
or missing tokens leave the session anonymous; the tool call itself is not refused here (do that in
your tools or middleware if they require a user). stdio transport.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… python -m token_auth.server
"""

from typing import Any

import mcpsight
from mcp.server.auth.middleware.auth_context import get_access_token

from shared.config import collector_config
from shared.notes import Argument, new_server, register_note_tools
from shared.serve import serve_stdio
from shared.users import Account, account_by_token

config = collector_config()
server = new_server("notes-token-auth")
register_note_tools(server, Argument("token", "Your personal access token", required=False))


async def verify_token(token: str) -> Account | None:
    """Your token check: a JWT verification, an introspection call, a database lookup…"""
    return account_by_token(token)


async def identify(request: Any, context: Any) -> Any:
    access = get_access_token()  # set when the SDK's bearer authentication verified the request
    token = access.token if access else (request.params.arguments or {}).get("token")
    if not isinstance(token, str):
        return None
    account = await verify_token(token)
    if account is None:
        return None
    # Never put the token itself in user_data; keys that look like secrets are redacted anyway.
    return mcpsight.UserIdentity(
        user_id=account.id,
        user_name=account.name,
        user_data={"role": account.role, "organisation": account.organisation, "plan": account.plan},
    )


mcpsight.track(
    server, config.project_id, mcpsight.Options(api_base_url=config.api_base_url, identify=identify)
)

if __name__ == "__main__":
    serve_stdio(server)
