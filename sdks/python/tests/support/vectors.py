"""Reads the protocol's shared vectors (packages/protocol/vectors, schema/) and expands their macros,
as every SDK's runner does (the macros are documented at the top of scrub.json)."""

from __future__ import annotations

import json
import re
from typing import Any

from .collector import REPOSITORY

PROTOCOL = REPOSITORY / "packages" / "protocol"


def read(relative: str) -> Any:
    return json.loads((PROTOCOL / relative).read_text("utf-8"))


def exists(relative: str) -> bool:
    return (PROTOCOL / relative).exists()


def _text(value: Any) -> str:
    expanded = expand(value)
    if not isinstance(expanded, str):
        raise TypeError(f"macro part is not a string: {value!r}")
    return expanded


def expand(value: Any) -> Any:
    """Expands ``$repeat``, ``$concat`` and ``$nest`` anywhere in a vector value."""
    if isinstance(value, list):
        return [expand(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        [(key, args)] = value.items()
        if key == "$repeat":
            return _text(args[0]) * args[1]
        if key == "$concat":
            return "".join(_text(part) for part in args)
        if key == "$nest":
            nested = expand(args[2])
            for _ in range(args[1]):
                nested = [nested] if args[0] is None else {args[0]: nested}
            return nested
    return {key: expand(item) for key, item in value.items()}


def same_json(actual: Any, expected: Any) -> bool:
    """Equal as JSON values (1 == 1.0), with the same key order in every object."""
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and list(actual) == list(expected)
            and all(same_json(actual[key], expected[key]) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same_json(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    return bool(actual == expected) and type(actual) in (type(expected), int, float)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


class MatchState:
    """What a scenario's matching shares: session names bound to values, and the ids seen."""

    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}
        self.ids: set[str] = set()


_MISSING = object()


def mismatches(expected: Any, actual: Any, path: str, state: MatchState, language: str) -> list[str]:
    """Mismatches of ``actual`` against ``expected`` (sdk-events.json's ``matching`` rules)."""

    def fail(what: str) -> list[str]:
        shown = "nothing" if actual is _MISSING else json.dumps(actual)[:300]
        return [f"{path}: expected {what}, got {shown}"]

    if isinstance(expected, str) and expected.startswith("<") and expected.endswith(">"):
        session = re.fullmatch(r"<session:(.+)>", expected)
        if session:
            if not isinstance(actual, str) or not actual:
                return fail("a session id")
            bound = state.sessions.get(session.group(1))
            if bound is None:
                if actual in state.sessions.values():
                    return fail("a session id other than the others")
                state.sessions[session.group(1)] = actual
            elif bound != actual:
                return fail(f"the session id {bound}")
            return []
        if expected == "<id>":
            if not isinstance(actual, str) or not actual or actual in state.ids:
                return fail("a new event id")
            state.ids.add(actual)
            return []
        if expected == "<timestamp>":
            return (
                []
                if isinstance(actual, str) and _TIMESTAMP.match(actual)
                else fail("a UTC timestamp with ms")
            )
        if expected == "<duration>":
            ok = isinstance(actual, int | float) and not isinstance(actual, bool) and actual >= 0
            return [] if ok else fail("a duration")
        if expected == "<sdkLanguage>":
            return [] if actual == language else fail(language)
        if expected == "<sdkVersion>":
            return [] if isinstance(actual, str) and actual else fail("a version")
        if expected in ("<any>", "<any?>"):
            return fail("a value") if actual is _MISSING else []
    if isinstance(expected, dict) and len(expected) == 1:
        [(key, inner)] = expected.items()
        if key == "$contains":
            return (
                [] if isinstance(actual, str) and str(inner) in actual else fail(f"text containing {inner}")
            )
        if key == "$names":
            if not isinstance(actual, list):
                return fail("an array")
            names = [item.get("name") if isinstance(item, dict) else None for item in actual]
            return [] if names == inner else fail(f"names {inner}")
        if key == "$subset":
            if not isinstance(actual, dict) or not isinstance(inner, dict):
                return fail("an object")
            return [
                problem
                for k, v in inner.items()
                for problem in mismatches(v, actual.get(k, _MISSING), f"{path}.{k}", state, language)
            ]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return fail(f"{len(expected)} items")
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in mismatches(e, a, f"{path}[{i}]", state, language)
        ]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return fail("an object")
        problems: list[str] = []
        for key in dict.fromkeys([*expected, *actual]):
            if key not in expected:
                problems.append(f"{path}.{key}: not expected, got {json.dumps(actual[key])[:300]}")
            elif key not in actual:
                if expected[key] != "<any?>":
                    problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(mismatches(expected[key], actual[key], f"{path}.{key}", state, language))
        return problems
    return (
        []
        if json.dumps(expected, sort_keys=True) == json.dumps(actual, sort_keys=True)
        else fail(json.dumps(expected))
    )


def schema_validator(name: str = "event.schema.json") -> Any:
    """A JSON Schema (draft 2020-12) validator for the protocol's event schema."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(read(f"schema/{name}"))


def schema_problems(validator: Any, event: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(event)
    ]
