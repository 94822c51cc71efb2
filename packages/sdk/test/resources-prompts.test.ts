// Resources and prompts are recorded like tools: list and read/get requests, with the resource URI
// or prompt name as resourceName, their arguments, and thrown errors — on every supported SDK.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { track } from "../src/index.js";
import { ofType, receivedEvents } from "./helpers/events.js";
import { Sink } from "./helpers/sink.js";
import { v1_11, v1_24, v1Latest } from "./helpers/v1.js";
import { v2 } from "./helpers/v2.js";
import { greeting, README_TEXT } from "./helpers/variant.js";

const sink = new Sink();
beforeAll(() => sink.start());
afterAll(() => sink.stop());

let counter = 0;

describe.each([v1Latest, v1_24, v1_11, v2])("$name", (variant) => {
  it.each(["mcpServer", "lowLevelServer"] as const)(
    "%s: resources/list, resources/read (one throwing), prompts/list, prompts/get",
    async (kind) => {
      const projectId = `resources-${counter++}`;
      const testServer = variant[kind]();
      track(testServer.server, projectId, { apiBaseUrl: sink.url });
      testServer.addResourcesAndPrompts();
      const client = await variant.connect(testServer.server);

      const listed = await client.listResources();
      expect(listed.resources.map((r) => r.uri)).toEqual(["notes://readme", "notes://broken"]);
      const read = await client.readResource({ uri: "notes://readme" });
      expect(read.contents[0]?.text).toBe(README_TEXT);
      const thrown = await client.readResource({ uri: "notes://broken" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(String((thrown as Error | undefined)?.message)).toContain("disk on fire");
      const prompts = await client.listPrompts();
      expect(prompts.prompts.map((p) => p.name)).toEqual(["greet"]);
      const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
      expect(JSON.stringify(prompt.messages)).toContain(greeting("Ada"));
      await client.close();

      const events = (await receivedEvents(sink)).filter((e) => e.projectId === projectId);
      expect(ofType(events, "mcp:resources/list")).toHaveLength(1);
      expect(ofType(events, "mcp:resources/list")[0]?.resourceName).toBeUndefined();
      const reads = ofType(events, "mcp:resources/read");
      expect(reads.map((e) => e.resourceName).sort()).toEqual(["notes://broken", "notes://readme"]);
      const ok = reads.find((e) => e.resourceName === "notes://readme");
      expect(ok).toMatchObject({ parameters: { uri: "notes://readme" } });
      expect(ok?.isError).toBeUndefined();
      expect(JSON.stringify(ok?.response)).toContain(README_TEXT);
      const failed = reads.find((e) => e.resourceName === "notes://broken");
      expect(failed).toMatchObject({ isError: true, parameters: { uri: "notes://broken" } });
      expect(failed?.error?.message).toContain("disk on fire");
      expect(failed?.response).toBeUndefined();

      expect(ofType(events, "mcp:prompts/list")).toHaveLength(1);
      const [get] = ofType(events, "mcp:prompts/get");
      expect(get).toMatchObject({
        resourceName: "greet",
        parameters: { name: "greet", arguments: { name: "Ada" } },
      });
      expect(JSON.stringify(get?.response)).toContain(greeting("Ada"));
      expect(get?.isError).toBeUndefined();

      // One connection, one session, initialize included.
      expect(ofType(events, "mcp:initialize")).toHaveLength(1);
      expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
      expect(events[0]?.sessionId).toMatch(/^ses_/);
    },
  );
});
