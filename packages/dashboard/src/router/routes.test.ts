import { describe, expect, it } from "vitest";
import { buildHref, parseHash, withQuery } from "./location";
import { matchRoute, paths } from "./routes";

describe("routes", () => {
  it("matches every page", () => {
    expect(matchRoute("/")).toEqual({ name: "home" });
    expect(matchRoute("/login")).toEqual({ name: "login" });
    expect(matchRoute("/p/proj_1")).toEqual({ name: "overview", project: "proj_1" });
    expect(matchRoute("/p/proj_1/tools")).toEqual({ name: "tools", project: "proj_1" });
    expect(matchRoute(paths.page("proj_1", "access"))).toEqual({ name: "access", project: "proj_1" });
    expect(matchRoute(paths.account())).toEqual({ name: "account" });
    expect(matchRoute("/p/proj_1/nope").name).toBe("not-found");
    expect(matchRoute("/p/proj_1/tools/x").name).toBe("not-found");
  });

  it("round-trips ids with reserved characters through paths", () => {
    const userId = "a/b?c#d <e>";
    const path = paths.user("proj 1", userId);
    expect(matchRoute(parseHash(buildHref(path)).path)).toEqual({ name: "user", project: "proj 1", userId });
    expect(matchRoute(paths.session("p", "ses/1"))).toEqual({
      name: "session",
      project: "p",
      sessionId: "ses/1",
    });
  });

  it("parses and builds hashes with queries", () => {
    const loc = parseHash("#/p/x/users/?range=7d&search=ada");
    expect(loc.path).toBe("/p/x/users");
    expect(loc.query.get("range")).toBe("7d");
    expect(buildHref("/p/x/users", withQuery(loc.query, { search: null, sort: "errors" }))).toBe(
      "#/p/x/users?range=7d&sort=errors",
    );
    expect(buildHref("/a", { b: "", c: false, d: 0 })).toBe("#/a?d=0");
  });
});
