import { LIMITS } from "@mcpsight/protocol/constants";

const TAG_KEY = /^[A-Za-z0-9$_.:\- ]+$/;

/**
 * Keeps the valid entries of an `eventTags` result (protocol rules: ≤50 entries, keys ≤32 chars of
 * `[A-Za-z0-9$_.:- ]`, one-line string values ≤200 chars) and says what was dropped.
 *
 * @example
 * validateTags({ env: "prod", "bad\nkey": "x" }); // { tags: { env: "prod" }, problems: ['key "bad\\nkey" …'] }
 */
export function validateTags(value: unknown): {
  tags: Record<string, string> | undefined;
  problems: string[];
} {
  if (value === null || value === undefined) return { tags: undefined, problems: [] };
  if (typeof value !== "object" || Array.isArray(value)) {
    return { tags: undefined, problems: [`expected an object of strings, got ${typeof value}`] };
  }
  const tags: Record<string, string> = {};
  const problems: string[] = [];
  let count = 0;
  for (const [key, tagValue] of Object.entries(value)) {
    if (key.length === 0 || key.length > LIMITS.tagKeyLength || !TAG_KEY.test(key)) {
      problems.push(`key ${JSON.stringify(key)} must be 1-${LIMITS.tagKeyLength} chars of [A-Za-z0-9$_.:- ]`);
    } else if (typeof tagValue !== "string") {
      problems.push(`value of ${JSON.stringify(key)} must be a string`);
    } else if (tagValue.length > LIMITS.tagValueLength || /[\r\n]/.test(tagValue)) {
      problems.push(
        `value of ${JSON.stringify(key)} must be one line of at most ${LIMITS.tagValueLength} chars`,
      );
    } else if (count >= LIMITS.tagCount) {
      problems.push(`more than ${LIMITS.tagCount} tags; ${JSON.stringify(key)} dropped`);
    } else {
      tags[key] = tagValue;
      count += 1;
    }
  }
  return { tags: count > 0 ? tags : undefined, problems };
}
