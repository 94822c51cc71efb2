"""Agent intent: a ``context`` argument added to every tool's input schema in tools/list results,
taken back out of tools/call arguments before the tool's own validation and handler run, and
recorded as the event's ``userIntent``; and ``get_more_tools``, the tool agents call to say what
they were missing. Everything here works on the wire form (plain dicts).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any

from .constants import CONTEXT_PARAMETER, REPORT_MISSING_TOOL, USER_INTENT_LENGTH
from .sanitize import clip

DEFAULT_CONTEXT_DESCRIPTION = (
    "Explain why you are calling this tool and how it fits into the user's overall goal, in one or two "
    "sentences, third person. Used for analytics. Never include credentials or personal data."
)

REPORT_MISSING_DESCRIPTOR: dict[str, Any] = {
    "name": REPORT_MISSING_TOOL,
    "description": (
        "Check for additional tools whenever your task might benefit from specialized capabilities - even if "
        "existing tools could work as a fallback."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            CONTEXT_PARAMETER: {
                "type": "string",
                "description": "A description of your goal and what kind of tool would help accomplish it.",
            }
        },
        "required": [CONTEXT_PARAMETER],
    },
}

REPORT_MISSING_RESULT: dict[str, Any] = {
    "content": [
        {
            "type": "text",
            "text": (
                "Unfortunately, we have shown you the full tool list. We have noted your feedback and "
                "will work to improve the tool list in the future."
            ),
        }
    ]
}


def report_missing_result() -> dict[str, Any]:
    return copy.deepcopy(REPORT_MISSING_RESULT)


def injection_blocker(schema: object) -> str | None:
    """Why a tool's schema is left alone, or None when the context argument can be added."""
    if schema is None:
        return None
    if not isinstance(schema, Mapping):
        return "its input schema is not an object"
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and CONTEXT_PARAMETER in properties:
        return "it has its own context argument"
    if any(key in schema for key in ("oneOf", "anyOf", "allOf")):
        return "its input schema uses top-level oneOf/anyOf/allOf"
    return None


def with_context_parameter(schema: object, description: str) -> dict[str, Any]:
    """A copy of ``schema`` with a required string ``context`` property."""
    base: dict[str, Any] = dict(schema) if isinstance(schema, Mapping) else {"type": "object"}
    properties = base.get("properties")
    base["properties"] = {
        **(properties if isinstance(properties, Mapping) else {}),
        CONTEXT_PARAMETER: {"type": "string", "description": description},
    }
    required = base.get("required")
    base["required"] = [
        *(name for name in (required if isinstance(required, list) else []) if name != CONTEXT_PARAMETER),
        CONTEXT_PARAMETER,
    ]
    # A closed schema would make clients reject the argument just added.
    if base.get("additionalProperties") is False:
        del base["additionalProperties"]
    return base


def inject_context(
    result: Mapping[str, Any], description: str, injected: MutableMapping[str, bool]
) -> tuple[dict[str, Any], list[str]]:
    """A tools/list result with the context argument in each tool, recording per tool whether it
    was added; and the tools left alone, with why."""
    tools = result.get("tools")
    if not isinstance(tools, list):
        return dict(result), []
    skipped: list[str] = []
    out_tools: list[Any] = []
    for tool in tools:
        name = tool.get("name") if isinstance(tool, Mapping) else None
        if not isinstance(name, str) or name == REPORT_MISSING_TOOL:
            out_tools.append(tool)
            continue
        blocker = injection_blocker(tool.get("inputSchema"))
        injected[name] = blocker is None
        if blocker is not None:
            skipped.append(f"{name}: {blocker}")
            out_tools.append(tool)
        else:
            out_tools.append(
                {**tool, "inputSchema": with_context_parameter(tool.get("inputSchema"), description)}
            )
    return {**result, "tools": out_tools}, skipped


def strip_context(arguments: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The arguments without ``context``, and the intent it carried."""
    rest = {key: value for key, value in arguments.items() if key != CONTEXT_PARAMETER}
    context = arguments.get(CONTEXT_PARAMETER)
    return rest, clip(context, USER_INTENT_LENGTH) if isinstance(context, str) else None


def with_report_missing_tool(result: Mapping[str, Any]) -> dict[str, Any]:
    """A tools/list result with the report-missing tool (once, on the last page)."""
    tools = result.get("tools")
    if not isinstance(tools, list):
        return dict(result)
    cursor = result.get("nextCursor")
    if isinstance(cursor, str) and cursor:
        return dict(result)
    others = [t for t in tools if not (isinstance(t, Mapping) and t.get("name") == REPORT_MISSING_TOOL)]
    return {**result, "tools": [*others, copy.deepcopy(REPORT_MISSING_DESCRIPTOR)]}
