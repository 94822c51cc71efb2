package mcpsight

// SDKVersion is sent as sdkVersion and in the X-MCPSight-SDK header.
const SDKVersion = "0.1.0"

// SDKLanguage is sent as sdkLanguage.
const SDKLanguage = "go"
