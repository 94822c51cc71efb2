"""Small units: constants and version kept equal to their sources, UTF-16 measures, tags, retry
timing, JSON of odd strings, and the delivery after a fork."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

import mcpsight
from mcpsight import constants
from mcpsight.delivery.backoff import backoff_delay, parse_retry_after
from mcpsight.redact import to_json
from mcpsight.sanitize import clip, truncate, utf16_len
from mcpsight.tags import validate_tags
from support.collector import REPOSITORY

TS_CONSTANTS = (REPOSITORY / "packages" / "protocol" / "src" / "constants.ts").read_text("utf-8")


@pytest.mark.parametrize(
    ("name", "ts_name"),
    [
        ("REPORT_MISSING_TOOL", "REPORT_MISSING_TOOL"),
        ("CONTEXT_PARAMETER", "CONTEXT_PARAMETER"),
        ("REDACTED", "REDACTED"),
        ("PROTOCOL_VERSION", "PROTOCOL_VERSION"),
    ],
)
def test_string_constants_equal_the_protocols(name: str, ts_name: str) -> None:
    found = re.search(rf'export const {ts_name} = "([^"]*)"', TS_CONSTANTS)
    assert found and getattr(constants, name) == found.group(1)


@pytest.mark.parametrize(
    ("name", "ts_name"),
    [
        ("ID_LENGTH", "idLength"),
        ("PROJECT_ID_LENGTH", "projectIdLength"),
        ("EVENT_TYPE_LENGTH", "eventTypeLength"),
        ("NAME_LENGTH", "nameLength"),
        ("USER_INTENT_LENGTH", "userIntentLength"),
        ("ERROR_MESSAGE_LENGTH", "errorMessageLength"),
        ("ERROR_STACK_LENGTH", "errorStackLength"),
        ("VALUE_STRING_LENGTH", "valueStringLength"),
        ("EVENT_BYTES", "eventBytes"),
        ("JSON_DEPTH", "jsonDepth"),
        ("BATCH_EVENTS", "batchEvents"),
        ("TAG_COUNT", "tagCount"),
        ("TAG_KEY_LENGTH", "tagKeyLength"),
        ("TAG_VALUE_LENGTH", "tagValueLength"),
    ],
)
def test_limits_equal_the_protocols(name: str, ts_name: str) -> None:
    found = re.search(rf"\b{ts_name}: ([\d_]+)", TS_CONSTANTS)
    assert found and getattr(constants, name) == int(found.group(1).replace("_", ""))


def test_paths_headers_and_event_types_equal_the_protocols() -> None:
    assert f'batch: "{constants.BATCH_PATH}"' in TS_CONSTANTS
    for header in (constants.PROTOCOL_HEADER, constants.SDK_HEADER):
        assert f'"{header.lower()}"' in TS_CONSTANTS
    assert f'identify: "{constants.EVENT_IDENTIFY}"' in TS_CONSTANTS
    assert f'custom: "{constants.EVENT_CUSTOM}"' in TS_CONSTANTS
    assert (
        "SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000" in TS_CONSTANTS and constants.SESSION_IDLE_TIMEOUT == 1800
    )


def test_the_version_is_the_packages() -> None:
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8")  # tomllib is 3.11+
    assert re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE).group(1) == mcpsight.__version__  # type: ignore[union-attr]
    assert 'name = "mcpsight"' in pyproject and 'dependencies = ["anyio>=4.5"]' in pyproject


def test_strings_are_measured_and_cut_in_utf16_units() -> None:
    assert utf16_len("a🎉é漢") == 5
    assert clip("ab🎉", 3) == "ab"  # the cut would split the emoji's surrogate pair
    assert clip("ab🎉", 4) == "ab🎉"
    cut = truncate("🎉" * 30, 30)
    assert cut.endswith("…[truncated 30 chars]") and utf16_len(cut) <= 30


def test_tags_keep_the_valid_entries_and_say_what_was_dropped() -> None:
    tags, problems = validate_tags({"env": "prod", "bad\nkey": "x", "n": 1, "long": "x" * 201})
    assert tags == {"env": "prod"}
    assert len(problems) == 3
    assert validate_tags(None) == (None, [])
    many, problems = validate_tags({f"k{i}": "v" for i in range(51)})
    assert many is not None and len(many) == 50 and len(problems) == 1


def test_retry_timing() -> None:
    assert all(0 <= backoff_delay(attempt) < min(5.0, 0.5 * 2**attempt) for attempt in range(12))
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("600") == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 10))
    assert 8 <= (parse_retry_after(http_date) or 0) <= 10


def test_event_json_with_a_lone_surrogate_is_still_valid_json() -> None:
    data = to_json({"userIntent": "half \ud83c of an emoji", "ok": "é"})
    assert json.loads(data) == {"userIntent": "half \ud83c of an emoji", "ok": "é"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_with_an_empty_queue() -> None:
    from mcpsight.delivery import Delivery
    from mcpsight.event import new_event
    from mcpsight.log import SdkLogger
    from mcpsight.runtime import _deliveries
    from mcpsight.tracked_call import ReadyEvent

    delivery = Delivery(
        "http://127.0.0.1:9", log=SdkLogger(), max_queue_size=10, max_queue_bytes=1 << 20, flush_interval=60
    )
    _deliveries["http://127.0.0.1:9"] = delivery
    try:
        delivery.submit(
            ReadyEvent(
                new_event("proj", "ses", None, None, "mcpsight:custom", time.time()), None, None, SdkLogger()
            )
        )
        assert delivery.has_pending()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: mcpsight's os.register_at_fork hook has run; report
            os.close(read)
            os.write(write, json.dumps([delivery.has_pending(), delivery.stats().queued]).encode())
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read) as pipe:
            assert json.loads(pipe.read()) == [False, 0]
        assert delivery.has_pending()  # the parent keeps its events
    finally:
        _deliveries.pop("http://127.0.0.1:9", None)
        delivery.shutdown(0.1)
