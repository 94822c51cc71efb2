"""Migrating from MCPcat: the basic example as written for MCPcat, with only its import changed.
    before:  import mcpcat
    after:   import mcpsight as mcpcat
track() takes the same arguments and options (MCPCatOptions, UserIdentity, debug_mode…); events go
to api_base_url, MCPSIGHT_URL, or MCPCAT_API_URL if that is what your deployment already sets.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… python -m migrating_from_mcpcat.server
"""

from typing import Any

import mcpsight as mcpcat

from shared.config import collector_config
from shared.notes import Argument, new_server, register_note_tools
from shared.serve import serve_stdio
from shared.users import account_by_id

config = collector_config()
server = new_server("notes-mcpcat")
register_note_tools(server, Argument("user_id", "Your user id, e.g. u_ada"))


def identify(request: Any, context: Any) -> Any:
    user_id = (request.params.arguments or {}).get("user_id")
    if not isinstance(user_id, str) or not user_id:
        return None
    account = account_by_id(user_id)
    return mcpcat.UserIdentity(user_id=user_id, user_name=account.name if account else None, user_data=None)


mcpcat.track(
    server,
    config.project_id,
    mcpcat.MCPCatOptions(api_base_url=config.api_base_url, identify=identify, debug_mode=False),
)

if __name__ == "__main__":
    serve_stdio(server)
