"""Error handling: identify depends on a user directory that sometimes fails. Whatever identify does
(raise, hang past identify_timeout, return something unusable), mcpsight logs one warning to stderr,
records the session as anonymous and never lets it reach the tool call: the call succeeds as if
analytics were not there. Catch errors yourself only when you have a better fallback. stdio.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… python -m error_handling.server
"""

from typing import Any

import anyio
import mcpsight

from shared.config import collector_config
from shared.notes import Argument, new_server, register_note_tools
from shared.serve import serve_stdio
from shared.users import Account, account_by_id

config = collector_config()
server = new_server("notes-error-handling")
register_note_tools(server, Argument("user_id", "Your user id, e.g. u_ada"))


async def look_up_user(user_id: str) -> Account | None:
    """A directory lookup with the failures real ones have: viewers' records live on a replica that
    is down (it raises), and "u_slow" answers after 10 s."""
    if user_id == "u_slow":
        await anyio.sleep(10)
    account = account_by_id(user_id)
    if account is not None and account.role == "viewer":
        raise RuntimeError("user directory unavailable (replica down)")
    return account


async def identify(request: Any, context: Any) -> Any:
    user_id = (request.params.arguments or {}).get("user_id")
    if not isinstance(user_id, str):
        return None
    account = await look_up_user(user_id)  # unknown users: anonymous, on purpose
    return mcpsight.UserIdentity(user_id=account.id, user_name=account.name) if account else None


mcpsight.track(
    server,
    config.project_id,
    # Give up on identify after 1 s instead of the default 5 s.
    mcpsight.Options(api_base_url=config.api_base_url, identify=identify, identify_timeout=1.0),
)

if __name__ == "__main__":
    serve_stdio(server)
