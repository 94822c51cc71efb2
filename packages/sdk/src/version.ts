/** The SDK's own version, sent as `sdkVersion` and in the `X-MCPSight-SDK` header. Kept in sync with package.json by a unit test. */
export const SDK_VERSION = "0.1.0";

export const SDK_LANGUAGE = "typescript";
