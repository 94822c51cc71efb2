"""Validation of ``event_tags`` results against the protocol's rules for tags."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from .constants import TAG_COUNT, TAG_KEY_LENGTH, TAG_VALUE_LENGTH
from .sanitize import utf16_len

_TAG_KEY = re.compile(r"[A-Za-z0-9$_.:\- ]+\Z")


def validate_tags(value: object) -> tuple[dict[str, str] | None, list[str]]:
    """The valid entries of an ``event_tags`` result, and what was dropped and why.

    Rules: at most 50 entries, keys of 1-32 characters of ``[A-Za-z0-9$_.:- ]``, values one line of
    at most 200 characters.

    Example:
        >>> validate_tags({"env": "prod", "bad\\nkey": "x"})[0]
        {'env': 'prod'}
    """
    if value is None:
        return None, []
    if not isinstance(value, Mapping):
        return None, [f"expected a dict of strings, got {type(value).__name__}"]
    tags: dict[str, str] = {}
    problems: list[str] = []
    for key, tag in value.items():
        if not isinstance(key, str) or not 0 < len(key) <= TAG_KEY_LENGTH or not _TAG_KEY.match(key):
            problems.append(
                f"key {json.dumps(str(key))} must be 1-{TAG_KEY_LENGTH} chars of [A-Za-z0-9$_.:- ]"
            )
        elif not isinstance(tag, str):
            problems.append(f"value of {json.dumps(key)} must be a string")
        elif utf16_len(tag) > TAG_VALUE_LENGTH or "\n" in tag or "\r" in tag:
            problems.append(
                f"value of {json.dumps(key)} must be one line of at most {TAG_VALUE_LENGTH} chars"
            )
        elif len(tags) >= TAG_COUNT:
            problems.append(f"more than {TAG_COUNT} tags; {json.dumps(key)} dropped")
        else:
            tags[key] = tag
    return (tags or None), problems
