package mcpsight

import "time"

// Protocol limits (packages/protocol/src/constants.ts). Strings are measured in UTF-16 code
// units, the protocol's unit, whatever the language.
const (
	limitProjectID     = 128
	limitSessionID     = 256
	limitEventType     = 64
	limitName          = 512
	limitUserIntent    = 4096
	limitErrorMessage  = 4096
	limitErrorStack    = 16384
	limitValueString   = 32768
	limitEventBytes    = 262144
	limitBatchEvents   = 1000
	limitBatchBytes    = 1 << 20 // D3: batches of at most 1 MiB of JSON before gzip
	limitTagCount      = 50
	limitTagKey        = 32
	limitTagValue      = 200
	maxDepth           = 32
	sessionIdleTimeout = 30 * time.Minute

	redacted          = "[REDACTED]"
	contextParameter  = "context"
	reportMissingTool = "get_more_tools"
	clientInfoMetaKey = "io.modelcontextprotocol/clientInfo"

	eventTypeIdentify = "mcpsight:identify"
	eventTypeCustom   = "mcpsight:custom"
)
