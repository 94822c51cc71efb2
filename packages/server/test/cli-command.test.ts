// The `mcpsight` command as npm installs it. npm links a package's commands before `prepare`
// builds dist/ and skips one whose file does not exist yet, so on a fresh clone a command pointing
// into dist/ was never linked and `npx mcpsight` failed with "could not determine executable".
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, spawnCli, tempDir } from "./helpers.js";

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as {
  bin: Record<string, string>;
  files: string[];
};
const command = manifest.bin.mcpsight ?? "";

describe("the mcpsight command", () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it("is a file of the repository, not of the build, so a fresh npm install links it", () => {
    expect(command).not.toBe("");
    expect(command).not.toMatch(/^(\.\/)?dist\//);
    const file = join(PACKAGE_DIR, command);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(readFileSync(file, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(manifest.files).toContain(command.replace(/^\.\//, "").split("/")[0]);
  });

  it("runs the built CLI", async () => {
    const { stdout } = await run(process.execPath, [join(PACKAGE_DIR, command), "--help"]);
    expect(stdout).toMatch(/^Usage: mcpsight <command>/);
    expect(stdout).toMatch(/migrate --from sqlite/);
  });

  it("says what to do when the CLI is not built yet", async () => {
    const copy = join(dir, command);
    mkdirSync(join(copy, ".."), { recursive: true });
    copyFileSync(join(PACKAGE_DIR, command), copy);
    const failed = await run(process.execPath, [copy, "--help"]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/not built yet; run `npm run build`/);
  });
});

describe("mcpsight start on a port that is taken", () => {
  const dir = tempDir();
  const busy = createServer();
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    removeDir(dir);
  });

  it("says so, and leaves the first start to a start that can show its admin login", async () => {
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as AddressInfo).port;
    const env = { MCPSIGHT_ADMIN_PASSWORD: "", MCPSIGHT_ADMIN_TOKEN: "", MCPSIGHT_DATABASE_URL: "" };
    const refused = spawnCli(["start", "--port", String(port), "--data-dir", dir], { env });
    expect(await refused.closed).toBe(1);
    expect(refused.stderr()).toBe(
      `mcpsight: port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port <n> (npm start -- --port <n>, npm run demo -- --port <n>).\n`,
    );

    const started = spawnCli(["start", "--port", "0", "--data-dir", dir, "--log-level", "warn"], { env });
    try {
      await started.waitFor(/API token {5}msk_\S+/);
      expect(started.stdout()).toContain("First start: created project");
      expect(started.stdout()).toMatch(/password: \S{12,}/);
    } finally {
      started.child.kill("SIGTERM");
      await started.closed;
    }
  });
});
