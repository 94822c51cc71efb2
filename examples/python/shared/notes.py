"""The example servers' tools: a small team-notes service held in memory, the same as the
TypeScript examples' (examples/shared/notes.ts). Every example registers these tools, so the only
thing that differs between them is how they say who the user is.

``new_server`` returns the official SDK's high-level server: ``MCPServer`` on mcp 2.x,
``FastMCP`` on mcp 1.x. Both take tools the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer as _Server
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as _Server  # type: ignore[assignment,no-redef]
    from mcp.server.fastmcp.exceptions import ToolError  # type: ignore[assignment,no-redef]


def new_server(name: str, **options: Any) -> Any:
    """The official SDK's high-level server (``MCPServer`` on mcp 2.x, ``FastMCP`` on 1.x)."""
    return _Server(name, **options)


@dataclass
class Note:
    id: int
    title: str
    body: str


SEED = (
    ("Release checklist", "Tag, build, publish, announce."),
    ("On-call rota", "Weekly, handover on Mondays at 10:00."),
    ("Style guide", "Short sentences. Active voice. No jargon."),
    ("Onboarding", "Laptop, accounts, first pairing session, first release."),
)


@dataclass(frozen=True)
class Argument:
    """An argument added to every tool for the example's identify to read (a user id, a token)."""

    name: str
    description: str
    required: bool = True


def register_note_tools(server: Any, identity: Argument | None = None) -> list[str]:
    """Registers search_notes, create_note and delete_note on ``server``; returns their names."""
    notes = [Note(number, title, body) for number, (title, body) in enumerate(SEED, start=1)]

    async def search_notes(query: Annotated[str, Field(description="Word or phrase to look for")]) -> str:
        """Search the team's notes by a word in their title or body."""
        found = [n for n in notes if query.lower() in f"{n.title} {n.body}".lower()]
        return "\n".join(f"#{n.id} {n.title}: {n.body}" for n in found) or f'No note mentions "{query}".'

    async def create_note(title: Annotated[str, Field(min_length=1)], body: str) -> str:
        """Create a note."""
        note = Note(max((n.id for n in notes), default=0) + 1, title, body)
        notes.append(note)
        return f"Created note #{note.id}."

    async def delete_note(id: Annotated[int, Field(description="The note's number, e.g. 3")]) -> str:
        """Delete a note by its number."""
        for index, note in enumerate(notes):
            if note.id == id:
                del notes[index]
                return f"Deleted note #{id}."
        # An error the client sees (isError) and mcpsight records as the call's error.
        raise ToolError(f"Note #{id} does not exist.")

    tools = [search_notes, create_note, delete_note]
    for tool in tools:
        server.tool(name=tool.__name__, description=tool.__doc__)(_with_argument(tool, identity))
    return [tool.__name__ for tool in tools]


def _with_argument(tool: Callable[..., Awaitable[str]], identity: Argument | None) -> Any:
    """``tool`` taking one more keyword argument, which it ignores (identify reads it)."""
    if identity is None:
        return tool
    name = identity.name
    kind = str if identity.required else str | None
    annotation = Annotated[kind, Field(description=identity.description)]  # type: ignore[valid-type]

    async def wrapper(**arguments: Any) -> str:
        arguments.pop(name, None)
        return await tool(**arguments)

    signature = inspect.signature(tool)
    default = inspect.Parameter.empty if identity.required else None
    extra = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()),
            extra,
        ]
    )
    wrapper.__annotations__ = {**tool.__annotations__, name: annotation}
    wrapper.__name__ = tool.__name__
    wrapper.__doc__ = tool.__doc__
    return wrapper
