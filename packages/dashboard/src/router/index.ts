export { buildHref, type Location, parseHash, type QueryValues, sharedQuery, withQuery } from "./location";
export { matchRoute, type ProjectPage, paths, type Route } from "./routes";
export { navigate, useLocation } from "./use-location";
