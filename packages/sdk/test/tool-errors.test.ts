// A tool that throws on McpServer: the SDK turns the throw into an `isError` result before any
// request handler sees it. The recorded event must still carry the original error (class,
// message, stack, cause), and the client must get exactly the result it gets without mcpsight.
import { fromJsonSchema, McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { track } from "../src/index.js";
import { ofType, receivedEvents } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1_11, v1_24, v1Latest } from "./helpers/v1.js";
import { v2 } from "./helpers/v2.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

class QuotaError extends Error {
  readonly code = "E_QUOTA";
}

/** The error each tool throws: a TypeError with a cause that has a cause of its own. */
function thrown(): TypeError {
  const root = new QuotaError("quota exhausted");
  return new TypeError("could not reach the index", { cause: new RangeError("shard 7", { cause: root }) });
}

interface Registrar {
  registerTool(
    name: string,
    config: Record<string, unknown>,
    callback: (...args: never[]) => unknown,
  ): {
    update(updates: { callback: (...args: never[]) => unknown }): void;
  };
}

type Updatable = ReturnType<Registrar["registerTool"]>;

/**
 * Tools that fail in every way a callback can: async and sync throws, with and without arguments,
 * a non-Error throw, an isError result. `updated` answers until its callback is replaced.
 */
function addFailingTools(server: Registrar, schema: unknown): Updatable {
  server.registerTool("async_throw", { inputSchema: schema }, async () => {
    throw thrown();
  });
  server.registerTool("sync_throw", {}, () => {
    throw thrown();
  });
  server.registerTool("throws_string", {}, async () => {
    throw "plain string";
  });
  server.registerTool("soft_fail", {}, async () => ({
    content: [{ type: "text", text: "no such note" }],
    isError: true,
  }));
  return server.registerTool("updated", {}, async () => ({ content: [{ type: "text", text: "fine" }] }));
}

const v1Schema = { query: z.string() };
const v2Schema = fromJsonSchema<{ query: string }>({
  type: "object",
  properties: { query: { type: "string" } },
  required: ["query"],
});

const variants = [
  {
    name: v1Latest.name,
    create: () => v1Latest.mcpServer().server,
    connect: v1Latest.connect,
    schema: v1Schema,
  },
  { name: v1_24.name, create: () => v1_24.mcpServer().server, connect: v1_24.connect, schema: v1Schema },
  { name: v1_11.name, create: () => v1_11.mcpServer().server, connect: v1_11.connect, schema: v1Schema },
  {
    name: "sdk v2",
    create: () => new McpServerV2({ name: "test-server", version: "1.2.3" }),
    connect: v2.connect,
    schema: v2Schema,
  },
];

const CALLS = [
  { name: "async_throw", arguments: { query: "q" } },
  { name: "sync_throw", arguments: {} },
  { name: "throws_string", arguments: {} },
  { name: "soft_fail", arguments: {} },
  { name: "updated", arguments: {} },
];

let counter = 0;

describe.each(variants)("McpServer of $name", (variant) => {
  it.each(["before", "after"] as const)(
    "records the thrown error itself for tools registered %s track(), and answers as untracked",
    async (when) => {
      const answersOf = async (projectId: string | undefined) => {
        const server = variant.create() as unknown as Registrar;
        let updated = when === "before" ? addFailingTools(server, variant.schema) : undefined;
        if (projectId) track(server, projectId, { apiBaseUrl: sink.url, enableToolCallContext: false });
        updated ??= addFailingTools(server, variant.schema);
        const client = await variant.connect(server);
        const answers = [];
        for (const call of CALLS) answers.push(await client.callTool(call));
        // A callback replaced after the tool has already been called (and so instrumented).
        updated.update({
          callback: async () => {
            throw thrown();
          },
        });
        answers.push(await client.callTool({ name: "updated", arguments: {} }));
        await client.close();
        return answers;
      };
      const projectId = `tool-errors-${counter++}`;
      const plain = await answersOf(undefined);
      const tracked = await answersOf(projectId);
      expect(tracked).toEqual(plain);
      expect(plain[0]).toMatchObject({ isError: true, content: [{ text: "could not reach the index" }] });

      const events = ofType(await receivedEvents(sink), "mcp:tools/call").filter(
        (event) => event.projectId === projectId,
      );
      const errorOf = (tool: string) => events.findLast((event) => event.resourceName === tool)?.error;
      for (const tool of ["async_throw", "sync_throw", "updated"]) {
        const error = errorOf(tool);
        expect(error, tool).toMatchObject({ type: "TypeError", message: "could not reach the index" });
        expect(error?.stack, tool).toMatch(/^TypeError: could not reach the index\n\s+at /);
        expect(error?.stack, tool).toMatch(/\nCaused by: RangeError: shard 7\n\s+at /);
        expect(error?.stack, tool).toMatch(/\nCaused by: QuotaError \[E_QUOTA\]: quota exhausted\n\s+at /);
      }
      // The result the client got is recorded too.
      expect(events.find((event) => event.resourceName === "async_throw")?.response).toEqual(plain[0]);
      expect(errorOf("throws_string")).toEqual({ message: "plain string" });
      expect(errorOf("soft_fail")).toEqual({ message: "no such note", type: "ToolResultError" });
      expect(events.filter((event) => event.isError !== true).map((event) => event.resourceName)).toEqual([
        "updated",
      ]);
    },
  );
});
