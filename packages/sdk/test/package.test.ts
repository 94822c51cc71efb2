// The built package as npm publishes it (dist/, made by `npm run build`, which `npm test` runs
// before the tests): self-contained declarations, no runtime dependencies, ESM and CJS both load.
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const dist = new URL("../dist/", import.meta.url);
const read = (file: string) => readFile(new URL(file, dist), "utf8");
const PUBLIC_API = ["flush", "publishCustomEvent", "shutdown", "track"];

const withoutComments = (code: string): string =>
  code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

/** Module specifiers a file imports, requires or re-exports, comments aside. */
function specifiers(code: string): string[] {
  const text = withoutComments(code);
  const found = [
    ...text.matchAll(/\bfrom\s+["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g),
    ...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return [...new Set(found.map((match) => match[1] ?? ""))];
}

describe("published package", () => {
  it.each(["index.d.ts", "index.d.cts"])(
    "%s imports nothing: no MCP SDK, protocol or zod types leak",
    async (file) => {
      const declarations = await read(file);
      expect(specifiers(declarations)).toEqual([]);
      expect(withoutComments(declarations)).not.toMatch(/\bZod\w*|@modelcontextprotocol/);
      for (const name of [...PUBLIC_API, "MCPSightOptions", "UserIdentity"]) {
        expect(declarations).toMatch(new RegExp(`export \\{[^}]*\\b${name}\\b`));
      }
    },
  );

  it.each(["index.js", "index.cjs"])("%s depends on Node built-ins only", async (file) => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    expect(specifiers(await read(file)).filter((name) => !builtins.has(name))).toEqual([]);
  });

  it("loads as ESM and as CJS with the same public API", async () => {
    const esm = (await import(new URL("index.js", dist).href)) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)(new URL("index.cjs", dist).pathname) as Record<
      string,
      unknown
    >;
    for (const api of [esm, cjs]) {
      expect(Object.keys(api).sort()).toEqual(PUBLIC_API);
      for (const name of PUBLIC_API) expect(typeof api[name]).toBe("function");
    }
  });
});
