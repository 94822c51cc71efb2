"""The structural privacy pass, applied to everything recorded before it leaves the process.

Values under secret-looking keys, credential-looking strings, binary content and oversized strings
are replaced, and the value becomes plain JSON (no cycles, classes or functions). The rules are
the protocol's (``packages/protocol/vectors/scrub.json``); strings are measured in UTF-16 code
units, as in every mcpsight SDK, and a cut never splits a surrogate pair.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .constants import REDACTED, VALUE_STRING_LENGTH

_SECRET_KEY_PARTS = (
    "token",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "privatekey",
    "accesskey",
    "credential",
    "bearer",
    "signature",
    "clientsecret",
)
# Secrets only as a whole word (as fragments they would match too much).
_SECRET_KEYS = frozenset({"auth", "pwd", "pass", "jwt", "otp", "ssn", "xapikey"})
_NOT_KEY_CHAR = re.compile(r"[^a-z0-9]")

# JavaScript's \s, which the protocol's rules use (Python's \s also matches U+001C-U+001F, U+0085).
_WS = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_CREDENTIAL = re.compile(
    rf"[{_WS}]*(?:bearer|basic)[{_WS}]+[A-Za-z0-9._~+/=-]{{8,}}[{_WS}]*\Z", re.IGNORECASE | re.ASCII
)
_DATA_URL = re.compile(r"data:(?:[\w.+-]+/[\w.+-]+)?(?:;[\w=.-]+)*;base64,", re.IGNORECASE | re.ASCII)
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}\Z", re.ASCII)
_BASE64_MIN_LENGTH = 256
MAX_DEPTH = 32

_secret_cache: dict[str, bool] = {}


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (JavaScript's ``length``)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) >> 1


def clip(text: str, max_units: int) -> str:
    """The first ``max_units`` UTF-16 units of ``text``, one fewer when the cut would split a pair."""
    if len(text) <= max_units and (text.isascii() or utf16_len(text) <= max_units):
        return text
    if text.isascii():
        return text[:max_units]
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * max(0, max_units)]
    if len(units) >= 2 and 0xD8 <= units[-1] <= 0xDB:  # the last unit is a high surrogate
        units = units[:-2]
    return units.decode("utf-16-le", "surrogatepass")


def truncate(text: str, max_units: int) -> str:
    """Cuts ``text`` to ``max_units`` UTF-16 units, ending with a note of how much was removed."""
    if 2 * len(text) <= max_units:
        return text
    length = utf16_len(text)
    if length <= max_units:
        return text
    note = f"…[truncated {length - max_units} chars]"
    return clip(text, max(0, max_units - len(note))) + note


def is_secret_key(key: str) -> bool:
    """True when values under ``key`` are secrets (case-insensitive, separators ignored)."""
    cached = _secret_cache.get(key)
    if cached is not None:
        return cached
    normalized = _NOT_KEY_CHAR.sub("", key.lower())
    secret = normalized in _SECRET_KEYS or any(part in normalized for part in _SECRET_KEY_PARTS)
    if len(_secret_cache) < 10_000:
        _secret_cache[key] = secret
    return secret


# First characters a credential can start with: b/B, or whitespace (ASCII ≤ 32, or non-ASCII).
_CREDENTIAL_START = frozenset("bB")


def scrub_string(text: str) -> str | None:
    """A placeholder for a string that is a credential, data URL or base64 blob; None otherwise."""
    length = len(text)
    if length < 5:
        return None
    first = text[0]
    if (
        length >= 12
        and (first in _CREDENTIAL_START or first <= " " or first >= "\x80")
        and _CREDENTIAL.match(text)
    ):
        return REDACTED
    if (first == "d" or first == "D") and text[:5].lower() == "data:" and _DATA_URL.match(text):
        return f"[data URL, {utf16_len(text)} chars]"
    if length >= _BASE64_MIN_LENGTH and text.isascii():
        compact = text.replace("\r\n", "").replace("\n", "") if "\n" in text else text
        if _BASE64.match(compact):
            return f"[base64 data, {length} chars]"
    return None


def sanitize_string(text: str, max_units: int = VALUE_STRING_LENGTH) -> str:
    """One string through the STRINGS rules: a placeholder, or the text truncated to ``max_units``."""
    scrubbed = scrub_string(text)
    return scrubbed if scrubbed is not None else truncate(text, max_units)


def sanitize(value: Any, max_string: int = VALUE_STRING_LENGTH) -> Any:
    """A JSON-safe, redacted copy of ``value``; ``max_string`` bounds every string.

    Example:
        >>> sanitize({"apiKey": "sk-1", "query": "x"})
        {'apiKey': '[REDACTED]', 'query': 'x'}
    """
    return _walk(value, 0, max_string, [])


_OMIT = object()  # functions and other values JSON has no form for: left out of objects
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _json_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


def _binary_placeholder(kind: str, value: object) -> str:
    return f"[{kind} omitted, {utf16_len(value)} chars]" if isinstance(value, str) else f"[{kind} omitted]"


def _walk(value: Any, depth: int, max_string: int, ancestors: list[int]) -> Any:
    kind = type(value)
    if kind is str:
        if len(value) < 5 and max_string >= 8:
            return value  # too short for a placeholder, and within the limit
        scrubbed = scrub_string(value)
        return scrubbed if scrubbed is not None else truncate(value, max_string)
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else _NON_FINITE.get(value, "NaN")
    if kind is dict or kind is list:
        return _walk_container(value, depth, max_string, ancestors)
    return _walk_other(value, depth, max_string, ancestors)


def _walk_container(value: Any, depth: int, max_string: int, ancestors: list[int]) -> Any:
    if depth >= MAX_DEPTH:
        return "[nested too deep]"
    marker = id(value)
    if marker in ancestors:
        return "[circular]"
    ancestors.append(marker)
    try:
        if isinstance(value, Mapping):
            return _walk_object(value, depth, max_string, ancestors)
        out: list[Any] = []
        deeper = depth + 1
        for item in value:
            walked = _walk(item, deeper, max_string, ancestors)
            out.append(None if walked is _OMIT else walked)
        return out
    finally:
        ancestors.pop()


_SCALARS = (type(None), bool, int, float)


def _walk_object(obj: Mapping[Any, Any], depth: int, max_string: int, ancestors: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = obj.get("type")
    binary = kind if kind == "image" or kind == "audio" else None
    deeper = depth + 1
    for raw_key, item in obj.items():
        key = raw_key if type(raw_key) is str else _json_key(raw_key)
        item_type = type(item)
        if binary is not None and key == "data":
            out[key] = _binary_placeholder(binary, item)
        elif item_type in _SCALARS:
            # null, numbers and booleans are kept under any key (max_tokens: 100 is no secret).
            out[key] = item if item_type is not float else _walk(item, deeper, max_string, ancestors)
        elif key == "blob" and item_type is str:
            out[key] = _binary_placeholder("blob", item)
        elif is_secret_key(key):
            # Strings, arrays and objects; numbers and booleans of other types are walked.
            out[key] = (
                _walk(item, deeper, max_string, ancestors) if isinstance(item, int | float) else REDACTED
            )
        elif item_type is str and len(item) < 5 and max_string >= 8:
            out[key] = item
        else:
            walked = _walk(item, deeper, max_string, ancestors)
            if walked is not _OMIT:
                out[key] = walked
    return out


def _walk_other(value: Any, depth: int, max_string: int, ancestors: list[int]) -> Any:
    """Values that are not plain JSON: models, mappings, sequences, dates, bytes, enums…"""
    try:
        if isinstance(value, str):
            return _walk(str(value), depth, max_string, ancestors)
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return _walk(float(value), depth, max_string, ancestors)
        if isinstance(value, enum.Enum):
            return _walk(value.value, depth, max_string, ancestors)
        if isinstance(value, Mapping):
            return _walk_container(value, depth, max_string, ancestors)
        if isinstance(value, list | tuple | set | frozenset):
            return _walk_container(list(value), depth, max_string, ancestors)
        if isinstance(value, bytes | bytearray | memoryview):
            return f"[binary, {len(value)} bytes]"
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            return _walk(value.isoformat(), depth, max_string, ancestors)
        dump: Callable[..., Any] | None = getattr(value, "model_dump", None)
        if callable(dump) and not isinstance(value, type):
            # Pydantic models (MCP results, arguments): their JSON form, as the client would see it.
            return _walk(dump(mode="json", by_alias=True, exclude_none=True), depth, max_string, ancestors)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            shallow = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return _walk_container(shallow, depth, max_string, ancestors)
        if callable(value):
            return _OMIT
        return _walk(str(value), depth, max_string, ancestors)
    except Exception:
        return "[unserializable]"


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """Applies ``fn`` to every string inside ``value`` (a sanitized JSON value), never to keys."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [map_strings(item, fn) for item in value]
    if isinstance(value, dict):
        return {key: map_strings(item, fn) for key, item in value.items()}
    return value
