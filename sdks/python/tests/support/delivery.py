"""Small factories for delivery tests: a Delivery with test-sized settings, events, a clock."""

from __future__ import annotations

import time
from typing import Any

from mcpsight.delivery import Delivery
from mcpsight.event import new_event
from mcpsight.log import SdkLogger
from mcpsight.tracked_call import ReadyEvent

from .logs import ListLogger


def make_delivery(url: str, log: ListLogger, **overrides: Any) -> Delivery:
    settings: dict[str, Any] = {"max_queue_size": 1000, "max_queue_bytes": 32 << 20, "flush_interval": 0.05}
    settings.update(overrides)
    return Delivery(url, log=SdkLogger(logger=log), **settings)


def event(project: str = "proj_a", **fields: Any) -> ReadyEvent:
    built = new_event(project, "ses_1", None, None, "mcpsight:custom", time.time())
    built.update(fields)
    return ReadyEvent(built, None, None, SdkLogger())


class ManualClock:
    """The delivery's clock in tests that must not depend on time passing: a backoff ends only
    when the test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
