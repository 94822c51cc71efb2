import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL, type TestDatabase } from "../../../test/backends.js";
import { arrayCasts, binaryArray } from "./binary-array.js";
import { all, createPool, parsePostgresUrl } from "./db.js";

describe("binary array parameters", () => {
  it("go binary only for parameters cast to an array of numbers or booleans wherever they appear", () => {
    const casts = arrayCasts(
      "SELECT $1::bigint[], $2::int[], $3::BOOL[], $4::text[], $5::bigint, $6, $7::bigint[] = $7::int[], $8::int8[] && $8::int8[], $10::integer[]",
    );
    expect(casts.map((c) => c?.oid)).toEqual([
      20,
      23,
      16,
      undefined,
      undefined,
      undefined,
      undefined,
      20,
      undefined,
      23,
    ]);
  });

  it("fall back to text for an element that is not a value of the type", () => {
    const int8 = arrayCasts("$1::bigint[]")[0];
    const int4 = arrayCasts("$1::int[]")[0];
    const bool = arrayCasts("$1::bool[]")[0];
    if (!int8 || !int4 || !bool) throw new Error("casts");
    expect(binaryArray([1, 1.5], int8)).toBeNull();
    expect(binaryArray([2 ** 53], int8)).toBeNull();
    expect(binaryArray(["1"], int8)).toBeNull();
    expect(binaryArray([2 ** 31], int4)).toBeNull();
    expect(binaryArray([1], bool)).toBeNull();
    expect(binaryArray([1, null, -1], int8)).not.toBeNull();
  });
});

const run = TEST_DATABASE_URL ? describe : describe.skip;

run("binary array parameters (MCPSIGHT_TEST_DATABASE_URL)", () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await freshPostgresSchema();
    pool = createPool(parsePostgresUrl(database.url as string), 1);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("reach PostgreSQL as the same values as text", async () => {
    const int8 = [
      0,
      -0,
      1,
      -1,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 32,
      2 ** 32 + 1,
      -(2 ** 32),
      1733326000000,
      null,
    ];
    int8.push(2 ** 53 - 1, -(2 ** 53) + 1, 4294967295, -4294967297);
    const int4 = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), null, 42];
    const bool = [true, false, null, true];
    // Binary (cast to an array in the statement) against text (the same values, cast after).
    const [binary] = await all<{ a: string; b: string; c: string }>(
      pool,
      "SELECT $1::bigint[]::text AS a, $2::int[]::text AS b, $3::bool[]::text AS c",
      [int8, int4, bool],
    );
    const [text] = await all<{ a: string; b: string; c: string }>(
      pool,
      "SELECT $1::text::bigint[]::text AS a, $2::text::int[]::text AS b, $3::text::bool[]::text AS c",
      [int8, int4, bool],
    );
    expect(binary).toEqual(text);
    expect(binary?.a).toBe(
      "{0,0,1,-1,2147483648,-2147483649,4294967296,4294967297,-4294967296,1733326000000,NULL,9007199254740991,-9007199254740991,4294967295,-4294967297}",
    );
    // A value the type cannot hold fails as it does in text.
    await expect(all(pool, "SELECT $1::int[] AS a", [[2 ** 31]])).rejects.toMatchObject({ code: "22003" });
  });
});
