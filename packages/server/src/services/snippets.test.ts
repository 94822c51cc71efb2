import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sdkSnippets } from "./snippets.js";

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
  it("is Go that parses, its import at the top of a file and the rest in a function", () => {
    const lines =
      sdkSnippets("proj_abc123", "http://127.0.0.1:4747")
        .find((s) => s.language === "go")
        ?.code.split("\n") ?? [];
    const imports = lines.filter((line) => line.startsWith("import "));
    const body = lines.filter((line) => !line.startsWith("import "));
    expect(imports).toHaveLength(1);
    const file = `package main\n\n${imports.join("\n")}\n\nfunc main() {\n${body.join("\n")}\n}\n`;
    // gofmt -e reports every syntax error and exits non-zero on one.
    const formatted = execFileSync("gofmt", ["-e"], { input: file, encoding: "utf8" });
    expect(formatted).toContain("officialsdk.Track(server,");
  });
});
