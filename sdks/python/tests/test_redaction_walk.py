"""The user's redaction is applied in the same walk as the structural pass. What that walk returns
must equal the three passes the protocol defines (structural pass, the function on every string
of its output, structural pass again), with the function called on the same strings in the same
order; the scrub vectors pin the common cases, these the corners where the passes interact."""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable
from typing import Any

import pytest

from mcpsight.redact import redact_event, sanitize_event
from mcpsight.sanitize import RedactionError, sanitize
from support import vectors


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """The middle pass as the protocol states it: ``fn`` on every string of a sanitized value."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [map_strings(item, fn) for item in value]
    if isinstance(value, dict):
        return {key: map_strings(item, fn) for key, item in value.items()}
    return value


class Kind(enum.Enum):
    IMAGE = "image"


@dataclasses.dataclass
class Note:
    title: str
    token: str


def _deep(levels: int) -> Any:
    """Objects and arrays nested ``levels`` deep, alternating."""
    value: Any = {"leaf": "x" * 40}
    for level in range(levels):
        value = {"next": value} if level % 2 else [value, "y"]
    return value


_CYCLE: dict[str, Any] = {"name": "loop"}
_CYCLE["self"] = _CYCLE

VALUES: dict[str, Any] = {
    "image data before its type": {"data": "QUJD" * 100, "type": "image", "mimeType": "image/png"},
    "image data after its type": {"type": "image", "data": "QUJD" * 100, "mimeType": "image/png"},
    "audio with data that is not a string": {"type": "audio", "data": 12},
    "a type the redaction turns into image": {"type": "imagf", "data": "short text", "n": 1},
    "data that is a number under a text type": {"type": "imagf", "data": 5},
    "data that is an object under a text type": {"type": "imagf", "data": {"k": "v"}},
    "blob strings and other blob values": {"blob": "QUJD" * 80, "inner": {"blob": ["a", "b"]}},
    "secret keys with strings, numbers and objects": {
        "api_key": "sk-1",
        "token": 7,
        "password": {"a": "b"},
        "session": [1, 2],
        "ok": "fine",
    },
    "credentials and base64 in lists": ["Bearer abcdefgh1234", "x" * 300, "QUJD" * 70, None, 3, 2.5],
    "non-finite floats": {"a": math.inf, "b": -math.inf, "c": math.nan, "d": [math.nan], "token": math.inf},
    "long strings near the limit": {"text": "é" * 40, "emoji": "😀" * 30},
    "depth beyond the limit": _deep(40),
    "a cycle": _CYCLE,
    "enums, dataclasses, tuples, sets and bytes": {
        "kind": Kind.IMAGE,
        "note": Note("hello there", "secret-value"),
        "pair": ("first", "second"),
        "set": {"only"},
        "raw": b"\x00\x01",
        "call": len,
    },
    "an enum type makes a binary object": {"type": Kind.IMAGE, "data": "zzzzzzzzzzzz"},
    "keys that are not strings": {1: "one", None: "nothing", False: "no"},
    "a top-level string": "Bearer abcdefgh1234",
    "a top-level list of short strings": ["a", "bb", "ccccc"],
}

REDACTIONS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "double": lambda text: text + text,
    "image to text": lambda text: text.replace("image", "text"),
    "a misspelt type to image": lambda text: text.replace("imagf", "image"),
    "short": lambda text: text[:3],
    "long": lambda text: text * 40,
}


@pytest.mark.parametrize("redaction", sorted(REDACTIONS))
@pytest.mark.parametrize("name", sorted(VALUES))
def test_one_walk_equals_the_three_passes(name: str, redaction: str) -> None:
    fn = REDACTIONS[redaction]
    seen_three: list[str] = []
    seen_one: list[str] = []

    def recording(into: list[str]) -> Callable[[str], str]:
        def call(text: str) -> str:
            into.append(text)
            return fn(text)

        return call

    value = VALUES[name]
    for limit in (32_768, 20):
        seen_three.clear()
        seen_one.clear()
        expected = sanitize(map_strings(sanitize(value, limit), recording(seen_three)), limit)
        assert sanitize(value, limit, redact=recording(seen_one)) == expected
        assert seen_one == seen_three


def test_events_take_the_same_path_and_a_failing_redaction_fails_the_event() -> None:
    event = {
        "parameters": VALUES["image data before its type"],
        "response": {"content": [{"type": "text", "text": "Bearer abcdefgh1234"}]},
        "userIntent": "why " * 2000,
        "error": {"message": "boom", "type": "E" * 600, "stack": "s" * 20_000, "extra": 1},
    }
    upper = REDACTIONS["upper"]
    expected = sanitize_event(event)
    for field in ("parameters", "response"):
        expected[field] = sanitize(map_strings(expected[field], upper))
    expected["userIntent"] = sanitize_event({"userIntent": upper(expected["userIntent"])})["userIntent"]
    error = {**expected["error"], "message": upper(expected["error"]["message"])}
    error["stack"] = upper(error["stack"])
    expected["error"] = sanitize_event({"error": error})["error"]
    assert redact_event(event, upper) == expected

    def failing(text: str) -> str:
        if "TEXT" in text.upper() and text.startswith("["):
            raise ValueError("no")
        return text

    with pytest.raises(RedactionError):
        redact_event({"response": {"wrapped": Note("[text]", "t")}}, failing)
    assert vectors.same_json(redact_event({"response": [1]}, upper)["response"], [1])
