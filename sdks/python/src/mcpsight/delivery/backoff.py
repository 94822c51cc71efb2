"""Retry timing: exponential backoff with full jitter, and the collector's ``Retry-After``."""

from __future__ import annotations

import email.utils
import random
import time

BASE = 0.5
CAP = 5.0
MAX_RETRY_AFTER = 30.0


def backoff_delay(attempt: int, base: float = BASE, cap: float = CAP) -> float:
    """A uniform delay in [0, min(cap, base·2^attempt)) seconds."""
    return random.random() * min(cap, base * 2.0 ** min(attempt, 30))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), at most 30."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = parsed.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
