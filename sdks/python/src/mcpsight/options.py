"""Options of :func:`mcpsight.track`, their defaults, and MCPcat's names for them."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from .types import (
    EventPropertiesFunction,
    EventTagsFunction,
    IdentifyCacheOptions,
    IdentifyFunction,
    Logger,
    RedactFunction,
)

DEFAULT_API_BASE_URL = "http://127.0.0.1:4747"
DEFAULT_MAX_QUEUE_SIZE = 100_000
DEFAULT_MAX_QUEUE_BYTES = 32 * 1024 * 1024


@dataclass
class OtelOptions:
    """The ``otel`` option in full (``otel=True`` is ``OtelOptions()``).

    Example:
        >>> OtelOptions(capture_content=False).tracer_provider is None
        True
    """

    tracer_provider: Any = None
    """Where spans go; default: ``opentelemetry.trace.get_tracer_provider()``."""
    meter_provider: Any = None
    """Where the two histograms go; default: ``opentelemetry.metrics.get_meter_provider()``."""
    capture_content: bool = False
    """Add ``gen_ai.tool.call.arguments`` and ``.result`` to tool spans (after the privacy pass)."""


def _otel_setting(value: object) -> OtelOptions | None:
    """The ``otel`` option's value: None (off), or its settings."""
    if value is True:
        return OtelOptions()
    if isinstance(value, OtelOptions):
        return value
    if isinstance(value, Mapping):
        return OtelOptions(
            value.get("tracer_provider"), value.get("meter_provider"), value.get("capture_content") is True
        )
    return None


@dataclass
class Options:
    """Options of :func:`mcpsight.track`. Every field is optional.

    The names are the snake_case of the TypeScript SDK's, and MCPcat's names work too
    (``debug_mode``; ``exporters`` and ``disable_diagnostics`` are accepted and ignored), so
    ``import mcpsight as mcpcat`` keeps MCPcat code running. Durations are in seconds.

    Example:
        >>> options = Options(identify=lambda request, context: {"user_id": "u_1"}, debug=True)
    """

    identify: IdentifyFunction | None = None
    """``identify(request, context)`` → :class:`UserIdentity`, dict or None; sync or async."""
    redact_sensitive_information: RedactFunction | None = None
    """Runs on every recorded string (arguments, results, intent, errors) before it is sent."""
    event_tags: EventTagsFunction | None = None
    """``event_tags(request, context)`` → string tags for every event."""
    event_properties: EventPropertiesFunction | None = None
    """``event_properties(request, context)`` → JSON properties for every event."""
    enable_tracing: bool = True
    """Record MCP requests as events (identify and custom events are sent either way)."""
    enable_tool_call_context: bool = True
    """Add a ``context`` (agent intent) argument to every tool."""
    custom_context_description: str | None = None
    """How the ``context`` argument is described to agents."""
    enable_report_missing: bool = True
    """Add the ``get_more_tools`` tool agents call to report missing capabilities."""
    api_base_url: str | None = None
    """The collector. Default: env ``MCPSIGHT_URL``, then ``MCPCAT_API_URL``, then http://127.0.0.1:4747."""
    stateless: bool | None = None
    """True forces stateless mode; default: detected per request (HTTP without a session)."""
    identify_timeout: float = 5.0
    """Longest wait for identify (and event_tags/event_properties), in seconds."""
    identify_cache: IdentifyCacheOptions | float | None = None
    """Memoise identify per credential: an :class:`IdentifyCacheOptions` or a TTL in seconds."""
    max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE
    """Most events held in memory; beyond it the oldest are dropped and counted."""
    max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES
    """Most bytes of event JSON held in memory; beyond it the oldest are dropped and counted."""
    flush_interval: float = 1.0
    """How often queued events are sent, in seconds."""
    debug: bool = False
    """Write debug lines to stderr (or ``logger``)."""
    logger: Logger | None = None
    """Receives diagnostics instead of stderr (a :class:`logging.Logger` fits)."""
    otel: bool | OtelOptions | None = None
    """Also record each request as an OpenTelemetry SERVER span, and the MCP duration metrics
    (``True``, or an :class:`OtelOptions`); needs ``mcpsight[otel]``. See docs/OPENTELEMETRY.md."""
    # MCPcat's names, so its option objects keep working.
    debug_mode: bool = False
    """MCPcat's name for ``debug``."""
    exporters: Any = None
    """Accepted for MCPcat compatibility and ignored."""
    disable_diagnostics: bool = False
    """Accepted for MCPcat compatibility and ignored."""


MCPCatOptions = Options
"""MCPcat's name for :class:`Options`."""

_FIELD_NAMES = frozenset(f.name for f in fields(Options))


@dataclass(frozen=True)
class ResolvedOptions:
    """Options after defaults and environment variables are applied."""

    identify: IdentifyFunction | None
    redact: RedactFunction | None
    event_tags: EventTagsFunction | None
    event_properties: EventPropertiesFunction | None
    enable_tracing: bool
    enable_tool_call_context: bool
    custom_context_description: str | None
    enable_report_missing: bool
    api_base_url: str
    stateless: bool | None
    identify_timeout: float
    identify_cache: IdentifyCacheOptions | None
    max_queue_size: int
    max_queue_bytes: int
    flush_interval: float
    debug: bool
    logger: Logger | None
    otel: OtelOptions | None = None
    api_base_url_from: str = "api_base_url"
    """Where api_base_url came from: the option, ``MCPSIGHT_URL``, ``MCPCAT_API_URL`` or the default."""


def _positive(value: object, fallback: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return fallback
    return float(value) if value > 0 and value != float("inf") else fallback


def _callable(value: object) -> Any:
    return value if callable(value) else None


def _api_base_url(value: object) -> tuple[str, str]:
    """The collector URL and where it came from (the option or a variable), spaces and trailing
    slashes trimmed."""
    candidates = (
        (value if isinstance(value, str) else None, "api_base_url"),
        (os.environ.get("MCPSIGHT_URL"), "MCPSIGHT_URL"),
        (os.environ.get("MCPCAT_API_URL"), "MCPCAT_API_URL"),
    )
    for candidate, source in candidates:
        if candidate and candidate.strip():
            return candidate.strip().rstrip("/"), source
    return DEFAULT_API_BASE_URL, "the default"


def is_http_url(value: str) -> bool:
    """Whether a collector URL can be sent to: absolute, http or https."""
    try:
        parts = urllib.parse.urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
    except ValueError:
        return False


def option_values(options: object) -> tuple[dict[str, Any], list[str]]:
    """The option values of an :class:`Options`, a mapping or any object with those attributes
    (such as MCPcat's own options), and the names of keys that are not options."""
    if options is None:
        return {}, []
    if isinstance(options, Mapping):
        values = {str(key): value for key, value in options.items()}
        return {k: v for k, v in values.items() if k in _FIELD_NAMES}, [
            k for k in values if k not in _FIELD_NAMES
        ]
    return {name: getattr(options, name) for name in _FIELD_NAMES if hasattr(options, name)}, []


def _identify_cache(value: object) -> IdentifyCacheOptions | None:
    if isinstance(value, IdentifyCacheOptions):
        return value if _positive(value.ttl, 0) > 0 else None
    ttl = _positive(value, 0)
    if ttl > 0:
        return IdentifyCacheOptions(ttl=ttl)
    ttl_attr = getattr(value, "ttl", None) if value is not None else None
    if ttl_attr is not None and _positive(ttl_attr, 0) > 0:
        return IdentifyCacheOptions(ttl=float(ttl_attr), key=_callable(getattr(value, "key", None)))
    return None


def resolve_options(options: object = None) -> ResolvedOptions:
    """Applies defaults. Never raises: a nonsensical value falls back to its default."""
    values, _unknown = option_values(options)
    get = values.get
    base, base_from = _api_base_url(get("api_base_url"))
    stateless = get("stateless")
    description = get("custom_context_description")
    return ResolvedOptions(
        identify=_callable(get("identify")),
        redact=_callable(get("redact_sensitive_information")),
        event_tags=_callable(get("event_tags")),
        event_properties=_callable(get("event_properties")),
        enable_tracing=get("enable_tracing", True) is not False,
        enable_tool_call_context=get("enable_tool_call_context", True) is not False,
        custom_context_description=description if isinstance(description, str) and description else None,
        enable_report_missing=get("enable_report_missing", True) is not False,
        api_base_url=base,
        api_base_url_from=base_from,
        stateless=stateless if isinstance(stateless, bool) else None,
        identify_timeout=_positive(get("identify_timeout"), 5.0),
        identify_cache=_identify_cache(get("identify_cache")),
        max_queue_size=int(_positive(get("max_queue_size"), DEFAULT_MAX_QUEUE_SIZE)),
        max_queue_bytes=int(_positive(get("max_queue_bytes"), DEFAULT_MAX_QUEUE_BYTES)),
        flush_interval=_positive(get("flush_interval"), 1.0),
        debug=get("debug") is True or get("debug_mode") is True,
        logger=get("logger") if get("logger") is not None else None,
        otel=_otel_setting(get("otel")),
    )
