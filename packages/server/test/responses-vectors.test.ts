import { readFileSync } from "node:fs";
import { batchResponseSchema } from "@mcpsight/protocol";
import { describe, expect, it } from "vitest";
import { BACKENDS } from "./backends.js";
import { api, suiteCollector } from "./helpers.js";

interface ResponseVector {
  name: string;
  request: { headers: Record<string, string>; body: unknown };
  response: { status: number; body: Record<string, unknown> };
  sdk: { delivered: number[]; dropped: number[]; retry: boolean };
}

const { cases } = JSON.parse(
  readFileSync(new URL("../../protocol/vectors/responses.json", import.meta.url), "utf8"),
) as { cases: ResponseVector[] };

/** The vector's placeholders filled in. */
const fill = (value: unknown, project: string, recent: string): unknown =>
  JSON.parse(
    JSON.stringify(value)
      .replaceAll('"$project"', JSON.stringify(project))
      .replaceAll('"$recent"', JSON.stringify(recent)),
  );

const key = (r: { index: number; code: string; field: string }) => `${r.index} ${r.code} ${r.field}`;

describe.each(BACKENDS)("the collector answers as vectors/responses.json says ($name)", (backend) => {
  const collector = suiteCollector(backend);

  // In order: the retry case sends the first case's events again.
  it("answers every case, in order", async () => {
    const { url, projectId } = collector.server;
    for (const vector of cases) {
      const recent = new Date(Date.now() - 60_000).toISOString();
      const res = await api(url, "/v1/batch", {
        method: "POST",
        headers: fill(vector.request.headers, projectId, recent) as Record<string, string>,
        body: JSON.stringify(fill(vector.request.body, projectId, recent)),
      });
      expect({ name: vector.name, status: res.status }).toEqual({
        name: vector.name,
        status: vector.response.status,
      });
      if (res.status !== 200) {
        expect(res.body, vector.name).toMatchObject(vector.response.body);
        continue;
      }
      const body = batchResponseSchema.parse(res.body);
      const expected = vector.response.body as { rejected: { index: number; code: string; field: string }[] };
      expect({ ...body, rejected: body.rejected.map(key) }, vector.name).toEqual({
        ...expected,
        rejected: expected.rejected.map(key),
      });
      // What the SDK does follows from the answer alone.
      const events = (vector.request.body as { events: unknown[] }).events.map((_, i) => i);
      const rejected = new Set(body.rejected.map((r) => r.index));
      expect(
        events.filter((i) => !rejected.has(i)),
        vector.name,
      ).toEqual(vector.sdk.delivered);
      expect([...rejected].sort(), vector.name).toEqual(vector.sdk.dropped);
    }
  });
});
