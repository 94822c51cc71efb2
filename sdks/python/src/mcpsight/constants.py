"""Wire constants of the mcpsight protocol (``packages/protocol/src/constants.ts``).

A test compares these with the TypeScript source, so the SDKs cannot drift apart.
"""

from __future__ import annotations

PROTOCOL_VERSION = "1"
BATCH_PATH = "/v1/batch"
PROTOCOL_HEADER = "X-MCPSight-Protocol"
SDK_HEADER = "X-MCPSight-SDK"
PROJECT_HEADER = "X-MCPSight-Project"

EVENT_IDENTIFY = "mcpsight:identify"
EVENT_CUSTOM = "mcpsight:custom"

REPORT_MISSING_TOOL = "get_more_tools"
CONTEXT_PARAMETER = "context"
REDACTED = "[REDACTED]"

# Size limits, strings in UTF-16 code units (the protocol's unit).
ID_LENGTH = 128
PROJECT_ID_LENGTH = 128
EVENT_TYPE_LENGTH = 64
NAME_LENGTH = 512
USER_INTENT_LENGTH = 4096
ERROR_MESSAGE_LENGTH = 4096
ERROR_STACK_LENGTH = 16_384
VALUE_STRING_LENGTH = 32_768
EVENT_BYTES = 262_144
JSON_DEPTH = 64
BATCH_EVENTS = 1000
TAG_COUNT = 50
TAG_KEY_LENGTH = 32
TAG_VALUE_LENGTH = 200

# A session ends after this much inactivity; the next request starts a new one.
SESSION_IDLE_TIMEOUT = 30 * 60.0
