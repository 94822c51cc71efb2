import { useEffect, useState } from "preact/hooks";
import { buildHref, type Location, parseHash } from "./location";

export function useLocation(): Location {
  const [loc, setLoc] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setLoc(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return loc;
}

/**
 * Navigates to `path?query`. `replace` is for state changes that should not pile up in history
 * (typing in a search box).
 */
export function navigate(path: string, query?: URLSearchParams, replace = false): void {
  const href = buildHref(path, query);
  if (replace) {
    history.replaceState(history.state, "", href);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    window.location.hash = href.slice(1);
  }
}
