"""Basic identification: the user id comes from the tool call's own arguments. Fits servers whose
tools already take the caller's id (internal tools, prototypes). stdio transport.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… python -m basic.server
"""

from typing import Any

import mcpsight

from shared.config import collector_config
from shared.notes import Argument, new_server, register_note_tools
from shared.serve import serve_stdio
from shared.users import account_by_id

config = collector_config()
server = new_server("notes-basic")
register_note_tools(server, Argument("user_id", "Your user id, e.g. u_ada"))


def identify(request: Any, context: Any) -> Any:
    """Stateful (stdio): runs once per session, on the first tool call."""
    user_id = (request.params.arguments or {}).get("user_id")
    if not isinstance(user_id, str) or not user_id:
        return None  # anonymous session
    account = account_by_id(user_id)
    return mcpsight.UserIdentity(user_id=user_id, user_name=account.name if account else None)


mcpsight.track(
    server, config.project_id, mcpsight.Options(api_base_url=config.api_base_url, identify=identify)
)

if __name__ == "__main__":
    serve_stdio(server)
