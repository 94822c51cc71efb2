import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHECKOUT, type SdkSnippet, sdkSnippets } from "./snippets.js";

const root = new URL("../../../../", import.meta.url);
const doc = (path: string): string => readFileSync(new URL(path, root), "utf8");

const snippets = sdkSnippets("proj_abc123", "https://mcpsight.example.com:8443");
const of = (language: string) => {
  const snippet = snippets.find((s) => s.language === language);
  if (!snippet) throw new Error(`no ${language} snippet`);
  return snippet;
};

describe("sdkSnippets", () => {
  it("gives TypeScript, Python and Go, each with the project id and the collector URL", () => {
    expect(snippets.map((s) => s.label)).toEqual(["TypeScript", "Python", "Go"]);
    for (const snippet of snippets) {
      expect(snippet.code, snippet.language).toContain(`"proj_abc123"`);
      expect(snippet.code, snippet.language).toContain(`"https://mcpsight.example.com:8443"`);
    }
  });

  it("installs and imports each SDK the way its reference says", () => {
    const references = { typescript: "docs/SDK.md", python: "docs/SDK-PYTHON.md", go: "docs/SDK-GO.md" };
    for (const snippet of snippets) {
      const readme = doc("README.md");
      const reference = doc(references[snippet.language]);
      for (const command of snippet.install.split("\n")) {
        expect(readme, `README.md: ${command}`).toContain(command);
        expect(reference, `${references[snippet.language]}: ${command}`).toContain(command);
      }
    }
    expect(of("typescript").code).toContain(`import { track } from "mcpsight";`);
    expect(of("python").code).toMatch(/^import mcpsight$/m);
    expect(of("python").code).toContain(`mcpsight.track(server, "proj_abc123", options)`);
    expect(of("go").code).toContain(`import "github.com/mcpsight/mcpsight/sdks/go/officialsdk"`);
    expect(of("go").code).toContain(`officialsdk.Track(server, "proj_abc123", options)`);
  });

  it("writes Python that parses", () => {
    const parsed = execFileSync(
      "python3",
      ["-c", "import ast, sys; ast.parse(sys.stdin.read()); print('ok')"],
      {
        input: of("python").code,
        encoding: "utf8",
      },
    );
    expect(parsed.trim()).toBe("ok");
  });
});

describe("the Go snippet", () => {
  // Its install commands, run in a new module with the checkout this test runs in, and its code in
  // a server of the official Go SDK: the module resolves and the program builds.
  it("installs from a checkout and builds", { timeout: 180_000 }, () => {
    const { install, code } = sdkSnippets("proj_abc123", "http://127.0.0.1:4747").find(
      (s) => s.language === "go",
    ) as SdkSnippet;
    const lines = code.split("\n");
    const imports = lines.filter((line) => line.startsWith("import "));
    const body = lines.filter((line) => !line.startsWith("import "));
    expect(imports).toEqual([`import "github.com/mcpsight/mcpsight/sdks/go/officialsdk"`]);
    const dir = mkdtempSync(join(tmpdir(), "mcpsight-go-snippet-"));
    try {
      const run = (command: string) =>
        execFileSync("sh", ["-c", command], {
          cwd: dir,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
      run("go mod init example.com/notes");
      writeFileSync(
        join(dir, "main.go"),
        [
          `package main`,
          ``,
          `import "context"`,
          `import "github.com/modelcontextprotocol/go-sdk/mcp"`,
          ...imports,
          ``,
          `func main() {`,
          `server := mcp.NewServer(&mcp.Implementation{Name: "notes", Version: "1.0.0"}, nil)`,
          ...body,
          `}`,
          ``,
        ].join("\n"),
      );
      const checkout = fileURLToPath(root).replace(/\/$/, "");
      for (const command of install.split("\n")) run(command.replaceAll(CHECKOUT, checkout));
      run("go vet . && go build -o /dev/null .");
      expect(readFileSync(join(dir, "go.mod"), "utf8")).toContain(
        `github.com/mcpsight/mcpsight/sdks/go => ${checkout}/sdks/go`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
