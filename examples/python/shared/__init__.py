"""What the Python examples share: the notes tools, the demo accounts, where events go, and how
the servers are served (stdio, Streamable HTTP)."""
