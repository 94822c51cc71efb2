"""Hands finished requests to the delivery. The event callbacks (``event_tags``,
``event_properties``) run first, on the server's event loop in the request's context, after the
request has been answered; everything else (identity, privacy, size, JSON) happens on a delivery
thread.
"""

from __future__ import annotations

from typing import Any

from .delivery import Delivery
from .log import SdkLogger
from .options import ResolvedOptions
from .tags import validate_tags
from .tasks import CallFailed, call_user, spawn
from .tracked_call import ReadyEvent, TrackedCall


class Pipeline:
    def __init__(self, options: ResolvedOptions, log: SdkLogger, delivery: Delivery) -> None:
        self.options = options
        self.log = log
        self.delivery = delivery
        self._callbacks = options.event_tags is not None or options.event_properties is not None

    def submit(self, call: TrackedCall) -> None:
        """Queues a settled request's event. Never raises."""
        try:
            if not self._callbacks:
                self.delivery.submit(call)
                return
            place = self.delivery.reserve()
            if not spawn(lambda: self._with_callbacks(call, place)):
                self.delivery.submit(call, place)
        except Exception as error:
            self.log.warn_once("pipeline:submit", f"could not queue an event ({error}); dropped.")

    def reserve(self) -> int:
        """The place of an event submitted later (see :meth:`submit_ready`): a flush counts it from now."""
        return self.delivery.reserve()

    def release(self, place: int) -> None:
        """A reserved place that carries no event (nothing once its event was submitted)."""
        self.delivery.release(place)

    def submit_ready(self, ready: ReadyEvent, place: int | None = None) -> None:
        try:
            self.delivery.submit(ready, place)
        except Exception as error:
            self.log.warn_once("pipeline:submit", f"could not queue an event ({error}); dropped.")

    async def _with_callbacks(self, call: TrackedCall, place: int) -> None:
        try:
            view = call.view
            tags_fn, properties_fn = self.options.event_tags, self.options.event_properties
            if tags_fn is not None:
                value = await self._callback("event_tags", tags_fn, view.request, view.context)
                tags, problems = validate_tags(value)
                if problems:
                    self.log.warn_once("event_tags:invalid", f"event_tags: {'; '.join(problems)}; dropped.")
                call.tags = tags
            if properties_fn is not None:
                value = await self._callback("event_properties", properties_fn, view.request, view.context)
                if isinstance(value, dict):
                    call.properties = value
                elif value is not None:
                    self.log.warn_once(
                        "event_properties:invalid",
                        f"event_properties returned {type(value).__name__}, not a dict; omitted.",
                    )
        except Exception as error:
            self.log.warn_once("pipeline:callbacks", f"event callbacks failed ({error}).")
        finally:
            self.delivery.submit(call, place)

    async def _callback(self, name: str, fn: Any, request: Any, context: Any) -> Any:
        try:
            # A sync callback runs on mcpsight's own threads: one that blocks holds up neither the
            # event loop (every request) nor past identify_timeout.
            return await call_user(
                fn, request, context, timeout=self.options.identify_timeout, in_thread=True
            )
        except CallFailed as failure:
            self.log.warn_once(
                f"{name}:{failure.problem.split(' ')[0]}", f"{name} {failure.problem}; omitted."
            )
            return None
