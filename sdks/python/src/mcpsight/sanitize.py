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


Redaction = Callable[[str], str]
"""The user's redaction, checked: returns a string or raises :class:`RedactionError`."""


def sanitize(value: Any, max_string: int = VALUE_STRING_LENGTH, redact: Redaction | None = None) -> Any:
    """A JSON-safe, scrubbed copy of ``value``; ``max_string`` bounds every string.

    With ``redact``, the result is the structural pass, ``redact`` on every string of its output,
    then the structural pass again (what the protocol's vectors pin), computed in one walk.

    Example:
        >>> sanitize({"apiKey": "sk-1", "query": "x"})
        {'apiKey': '[REDACTED]', 'query': 'x'}
    """
    walked = _walk(value, 0, max_string, [], redact)
    if redact is not None and type(walked) is str:
        return _text(redact(walked), max_string)
    return walked


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


def _text(text: str, max_string: int) -> str:
    """A string value through the rules: kept, a placeholder, or truncated."""
    length = len(text)
    if length < _BASE64_MIN_LENGTH and 2 * length <= max_string:
        # Short strings no rule can match are kept without looking further: a credential starts
        # with b/B or whitespace, a data URL with d/D, and base64 is at least 256 units long.
        first = text[:1]
        if length < 5 or (" " < first < "\x80" and first not in "bBdD"):
            return text
    scrubbed = scrub_string(text)
    return scrubbed if scrubbed is not None else truncate(text, max_string)


def _redacted_entry(key: str, text: str, max_string: int) -> str:
    """The second structural pass on a redacted string under ``key`` (``data`` is settled later)."""
    if key == "blob":
        return _binary_placeholder("blob", text)
    if is_secret_key(key):
        return REDACTED
    return _text(text, max_string)


# The walk returns strings as the first pass leaves them (the caller runs the redaction and the
# second pass on them, knowing the key they sit under) and containers finished.


def _walk(value: Any, depth: int, max_string: int, ancestors: list[int], redact: Redaction | None) -> Any:
    kind = type(value)
    if kind is str:
        return _text(value, max_string)
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else _NON_FINITE.get(value, "NaN")
    if kind is dict:
        return _walk_object(value, depth, max_string, ancestors, redact)
    if kind is list:
        return _walk_list(value, depth, max_string, ancestors, redact)
    return _walk_other(value, depth, max_string, ancestors, redact)


def _walk_list(
    value: Any, depth: int, max_string: int, ancestors: list[int], redact: Redaction | None
) -> Any:
    if depth >= MAX_DEPTH:
        return "[nested too deep]"
    marker = id(value)
    if marker in ancestors:
        return "[circular]"
    ancestors.append(marker)
    out: list[Any] = []
    deeper = depth + 1
    for item in value:
        item_type = type(item)
        if item is None or item_type is bool or item_type is int:
            out.append(item)
            continue
        walked: Any
        if item_type is str:
            walked = _text(item, max_string)
        elif item_type is dict:
            walked = _walk_object(item, deeper, max_string, ancestors, redact)
        else:
            walked = _walk(item, deeper, max_string, ancestors, redact)
        if walked is _OMIT:
            walked = None
        elif redact is not None and type(walked) is str:
            walked = _text(redact(walked), max_string)
        out.append(walked)
    ancestors.pop()
    return out


def _walk_object(
    obj: Mapping[Any, Any], depth: int, max_string: int, ancestors: list[int], redact: Redaction | None
) -> Any:
    if depth >= MAX_DEPTH:
        return "[nested too deep]"
    marker = id(obj)
    if marker in ancestors:
        return "[circular]"
    ancestors.append(marker)
    out: dict[str, Any] = {}
    kind = obj.get("type")
    binary = kind if kind == "image" or kind == "audio" else None
    redacted_kind: Any = None  # the type as the second pass sees it: after the redaction
    deeper = depth + 1
    for raw_key, item in obj.items():
        key = raw_key if type(raw_key) is str else _json_key(raw_key)
        item_type = type(item)
        # The rules in order: binary data, then null/numbers/booleans (kept under any key, as
        # max_tokens: 100 is no secret), blob strings, secret keys, everything else.
        if binary is not None and key == "data":
            walked: Any = _binary_placeholder(binary, item)
        elif item_type is str:
            if key == "blob":
                walked = _binary_placeholder("blob", item)
            else:
                secret = _secret_cache.get(key)
                if secret is None:
                    secret = is_secret_key(key)
                walked = REDACTED if secret else _text(item, max_string)
        elif item is None or item_type is int or item_type is bool:
            out[key] = item
            continue
        elif item_type is float:
            walked = _walk(item, deeper, max_string, ancestors, redact)
        elif is_secret_key(key):
            # Arrays and objects; numbers of other types (an IntEnum) are walked.
            walked = (
                _walk(item, deeper, max_string, ancestors, redact)
                if isinstance(item, int | float)
                else REDACTED
            )
        elif item_type is dict:
            walked = _walk_object(item, deeper, max_string, ancestors, redact)
        elif item_type is list:
            walked = _walk_list(item, deeper, max_string, ancestors, redact)
        else:
            walked = _walk(item, deeper, max_string, ancestors, redact)
            if walked is _OMIT:
                continue
        if redact is not None and type(walked) is str:
            walked = redact(walked)
            if key == "type":
                redacted_kind = walked
            if key != "data":
                walked = _redacted_entry(key, walked, max_string)
        out[key] = walked
    if redact is not None and "data" in out:
        # The second pass replaces data by what the redacted type says (the redaction may change it).
        data = out["data"]
        if redacted_kind == "image" or redacted_kind == "audio":
            out["data"] = _binary_placeholder(redacted_kind, data)
        elif type(data) is str:
            out["data"] = _text(data, max_string)
    ancestors.pop()
    return out


def _walk_other(
    value: Any, depth: int, max_string: int, ancestors: list[int], redact: Redaction | None
) -> Any:
    """Values that are not plain JSON: models, mappings, sequences, dates, bytes, enums…"""
    mark = len(ancestors)
    try:
        if isinstance(value, str):
            return _text(str(value), max_string)
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return _walk(float(value), depth, max_string, ancestors, redact)
        if isinstance(value, enum.Enum):
            return _walk(value.value, depth, max_string, ancestors, redact)
        if isinstance(value, Mapping):
            return _walk_object(value, depth, max_string, ancestors, redact)
        if isinstance(value, list | tuple | set | frozenset):
            return _walk_list(value, depth, max_string, ancestors, redact)
        if isinstance(value, bytes | bytearray | memoryview):
            return f"[binary, {len(value)} bytes]"
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            return _text(value.isoformat(), max_string)
        dump: Callable[..., Any] | None = getattr(value, "model_dump", None)
        if callable(dump) and not isinstance(value, type):
            # Pydantic models (MCP results, arguments): their JSON form, as the client would see it.
            dumped = dump(mode="json", by_alias=True, exclude_none=True)
            return _walk(dumped, depth, max_string, ancestors, redact)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            shallow = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return _walk_object(shallow, depth, max_string, ancestors, redact)
        if callable(value):
            return _OMIT
        return _text(str(value), max_string)
    except Exception as error:
        if isinstance(error, RedactionError):
            raise
        del ancestors[mark:]
        return "[unserializable]"


class RedactionError(Exception):
    """The user's redaction function failed; the event must be dropped."""
