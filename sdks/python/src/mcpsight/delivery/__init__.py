"""Delivery: the bounded in-memory queue and batched, retried, gzipped POSTs to the collector."""

from .worker import Delivery, Stats

__all__ = ["Delivery", "Stats"]
