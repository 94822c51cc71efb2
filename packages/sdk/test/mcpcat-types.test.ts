// Switching `from "mcpcat"` to `from "mcpsight"` must not break a TypeScript build: every type name
// mcpcat exports exists, and mcpcat's own README examples type-check in strict mode. The same
// source is compiled against the published mcpcat package (the control: the examples are valid)
// and against mcpsight as npm installs it (package.json exports → dist/*.d.ts, built by
// `npm run build`, which `npm test` runs first).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const sdkDir = fileURLToPath(new URL("..", import.meta.url));
const mcpcatDir = fileURLToPath(new URL("../../../node_modules/mcpcat", import.meta.url));

/** The type names mcpcat's declarations export (`export { type A, type B, fn }`). */
function mcpcatTypeNames(): string[] {
  const declarations = readFileSync(join(mcpcatDir, "dist/index.d.ts"), "utf8");
  const exported = declarations.match(/export \{([^}]*)\}/)?.[1] ?? "";
  return exported
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.startsWith("type "))
    .map((name) => name.slice("type ".length));
}

/** mcpcat's README examples (identify, redaction, exporters, custom events), verbatim where possible. */
const examples = (from: string, typeNames: string[]) => `
import * as mcpcat from "${from}";
import type { ${typeNames.join(", ")} } from "${from}";

declare const process: { env: Record<string, string | undefined> };
declare const mcpServer: { server: object };
declare const myapi: {
  getUser(token: string): Promise<{ id: string; name: string; favoriteColor: string }>;
};
declare function redact(text: string): Promise<string>;

// "Identifying users"
mcpcat.track(mcpServer, "proj_0000000", {
  identify: async (request, extra) => {
    const user = await myapi.getUser(request.params.arguments.token);
    return {
      userId: user.id,
      userName: user.name,
      userData: { favoriteColor: user.favoriteColor },
    };
  },
});

// "Redacting sensitive data", both forms
mcpcat.track(mcpServer, "proj_0000000", {
  redactSensitiveInformation: async (text) => await redact(text),
});
mcpcat.track(mcpServer, "proj_0000000", {
  redactSensitiveInformation: (text) => redact(text),
});

// "Existing Platform Support"
mcpcat.track(mcpServer, "proj_0000", {
  exporters: {
    otlp: { type: "otlp", endpoint: "http://localhost:4318/v1/traces" },
    datadog: { type: "datadog", apiKey: process.env.DD_API_KEY, site: "datadoghq.com", service: "my-mcp-server" },
  },
});

// publishCustomEvent's documented calls
await mcpcat.publishCustomEvent(mcpServer, "proj_abc123xyz", {
  resourceName: "custom-action",
  parameters: { action: "user-feedback", rating: 5 },
  message: "User provided feedback",
});
await mcpcat.publishCustomEvent("user-session-12345", "proj_abc123xyz", {
  isError: true,
  error: { message: "Custom error occurred", code: "ERR_001" },
});

// Every exported type, used the way code written for mcpcat uses it
const identify: IdentifyFunction = async (request) => ({ userId: String(request.params.arguments.id) });
const redactText: RedactFunction = async (text) => text.replace(/sk-\\w+/g, "[key]");
const exporterConfig: ExporterConfig = { type: "otlp", endpoint: "http://localhost:4318/v1/traces" };
const exporter: Exporter = { async export(_event) {} };
const options: MCPCatOptions = { identify, redactSensitiveInformation: redactText, exporters: { otlp: exporterConfig } };
const user: UserIdentity = { userId: "u_1", userName: "Ada", userData: { plan: "pro" } };
const custom: CustomEventData = { resourceName: "feedback", tags: { env: "prod" } };
mcpcat.track(mcpServer, "proj_0000000", options);
export { custom, exporter, user };
`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Type-checks the examples against one package, installed in a scratch node_modules. */
function diagnosticsAgainst(pkg: "mcpcat" | "mcpsight"): string[] {
  const dir = mkdtempSync(join(tmpdir(), "mcpsight-types-"));
  dirs.push(dir);
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(pkg === "mcpcat" ? mcpcatDir : sdkDir, join(dir, "node_modules", pkg), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const file = join(dir, "check.mts");
  writeFileSync(file, examples(pkg, mcpcatTypeNames()));
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts"],
    types: [],
    skipLibCheck: false,
    skipDefaultLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("code written for mcpcat's types", () => {
  it("names every type mcpcat exports", () => {
    expect(mcpcatTypeNames()).toEqual(
      expect.arrayContaining(["IdentifyFunction", "RedactFunction", "MCPCatOptions", "UserIdentity"]),
    );
  });

  it("compiles against mcpcat itself (the examples are valid)", () => {
    expect(diagnosticsAgainst("mcpcat")).toEqual([]);
  });

  it("compiles against mcpsight in strict mode", () => {
    expect(diagnosticsAgainst("mcpsight")).toEqual([]);
  });
});
