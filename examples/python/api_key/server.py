"""API key identification on a stateless Streamable HTTP server: each request carries an
``X-API-Key`` header and no session, so identify runs on every request. identify_cache keeps that
cheap: results are memoised per API key (mcpsight hashes the key; it never stores or sends it) for
a minute.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… PORT=3001 python -m api_key.server
    → http://127.0.0.1:3001/mcp, with the header X-API-Key: key_ada_51b0d2
"""

from typing import Any

import mcpsight

from shared.config import collector_config, port_from_env
from shared.notes import new_server, register_note_tools
from shared.serve import http_app, serve_http
from shared.users import Account, account_by_api_key

config = collector_config()
server = new_server("notes-api-key")
register_note_tools(server)


async def look_up_api_key(key: str) -> Account | None:
    """Your key check; with identify_cache it runs about once a minute per key, not on every request."""
    return account_by_api_key(key)


async def identify(request: Any, context: Any) -> Any:
    # context.request is the Starlette request of this HTTP call.
    key = context.request.headers.get("x-api-key") if context.request else None
    account = await look_up_api_key(key) if key else None
    if account is None:
        return None
    return {
        "user_id": account.id,
        "user_name": account.name,
        "user_data": {"organisation": account.organisation, "plan": account.plan},
    }


mcpsight.track(
    server,
    config.project_id,
    mcpsight.Options(
        api_base_url=config.api_base_url,
        identify=identify,
        # The cache key defaults to a hash of the request's credential header (Authorization,
        # X-API-Key or Api-Key); pass IdentifyCacheOptions(ttl=…, key=…) to derive it otherwise.
        identify_cache=60,
    ),
)

if __name__ == "__main__":
    serve_http(http_app(server, stateless=True), port_from_env(3001), "notes-api-key (stateless)")
