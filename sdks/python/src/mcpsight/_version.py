"""The SDK's own version and language, sent as ``sdkVersion``/``sdkLanguage`` and in ``X-MCPSight-SDK``.

Kept equal to ``version`` in pyproject.toml by a test.
"""

SDK_VERSION = "0.1.0"
SDK_LANGUAGE = "python"
