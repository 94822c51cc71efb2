"""Anonymous sessions: no identify at all. Every session is recorded without a user: tool usage,
errors, agent intents and clients are all still there. Fits public servers, development, and users
who prefer not to be identified. stdio transport.

    cd examples/python && MCPSIGHT_PROJECT_ID=proj_… python -m anonymous.server
"""

import mcpsight

from shared.config import collector_config
from shared.notes import new_server, register_note_tools
from shared.serve import serve_stdio

config = collector_config()
server = new_server("notes-anonymous")
register_note_tools(server)

mcpsight.track(server, config.project_id, mcpsight.Options(api_base_url=config.api_base_url))

if __name__ == "__main__":
    serve_stdio(server)
