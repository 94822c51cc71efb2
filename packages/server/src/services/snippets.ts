/**
 * How to instrument a server for a project, in each SDK's language: the first-start output, `mcpsight
 * project create` and the dashboard's empty state (through `GET /projects`) all show these.
 */

import type { SdkSnippet } from "@mcpsight/protocol";

export type { SdkLanguage, SdkSnippet } from "@mcpsight/protocol";

/**
 * Where the SDKs install from: none is on a registry yet, so from a checkout of this repository
 * (README, docs/SDK.md, docs/SDK-PYTHON.md, docs/SDK-GO.md).
 */
export const CHECKOUT = "/path/to/mcpsight";

// Project ids and URLs as string literals; a JSON string is also a valid Python and Go string.
const literal = (value: string): string => JSON.stringify(value);

/** The TypeScript `track()` call (the API's `snippet`). */
export function trackSnippet(projectId: string, collectorUrl: string): string {
  return `import { track } from "mcpsight";\n\ntrack(server, ${literal(projectId)}, { apiBaseUrl: ${literal(collectorUrl)} });\n`;
}

/** TypeScript, Python and Go, in that order. Lines stay short enough for a terminal. */
export function sdkSnippets(projectId: string, collectorUrl: string): SdkSnippet[] {
  const id = literal(projectId);
  const url = literal(collectorUrl);
  return [
    {
      language: "typescript",
      label: "TypeScript",
      install: `npm install ${CHECKOUT}/packages/sdk`,
      code: trackSnippet(projectId, collectorUrl),
    },
    {
      language: "python",
      label: "Python",
      install: `pip install ${CHECKOUT}/sdks/python`,
      code: `import mcpsight\n\noptions = mcpsight.Options(api_base_url=${url})\nmcpsight.track(server, ${id}, options)\n`,
    },
    {
      language: "go",
      label: "Go",
      install: `go mod edit -replace github.com/mcpsight/mcpsight/sdks/go=${CHECKOUT}/sdks/go\ngo mod tidy`,
      code: [
        `// mark3labs/mcp-go: import …/sdks/go/mcpgo and call mcpgo.Track`,
        `import "github.com/mcpsight/mcpsight/sdks/go/officialsdk"`,
        ``,
        `options := &officialsdk.Options{APIBaseURL: ${url}}`,
        `officialsdk.Track(server, ${id}, options)`,
        `defer officialsdk.Shutdown(context.Background())`,
        ``,
      ].join("\n"),
    },
  ];
}
