// Writes packages/protocol/schema/{event,batch}.schema.json from the zod schemas. Run with
// `npm run schema --workspace packages/protocol`; test/json-schema.test.ts fails when they are stale.
import { writeFileSync } from "node:fs";
import { protocolJsonSchemas } from "./json-schema.js";

const schemas = protocolJsonSchemas();
for (const [name, schema] of Object.entries(schemas)) {
  const url = new URL(`../schema/${name}.schema.json`, import.meta.url);
  writeFileSync(url, `${JSON.stringify(schema, null, 2)}\n`);
}
