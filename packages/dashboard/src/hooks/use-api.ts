import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type Params, requestText } from "../api/client";
import { reportFreshness } from "../lib/freshness";
import { useLive } from "./live";

export interface ApiState<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True until the first answer for the current request arrives. */
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (null = nothing to fetch) and refetches it every few seconds while live refresh is
 * on. `params` may be a function so relative time ranges are resolved at each fetch. An answer
 * identical to the previous one does not update state, so nothing re-renders and scroll position
 * and open rows stay as they are.
 */
export function useApi<T>(
  path: string | null,
  params: Params | (() => Params),
  deps: unknown[] = [],
): ApiState<T> {
  const live = useLive();
  const key =
    path === null ? null : `${path}|${JSON.stringify(typeof params === "function" ? deps : params)}`;
  const [state, setState] = useState<{ key: string | null; data?: T; error?: Error; text?: string }>({
    key: null,
  });
  const paramsRef = useRef(params);
  paramsRef.current = params;
  const lastText = useRef<string | undefined>(undefined);
  const [reloadCount, setReloadCount] = useState(0);

  const fetchOnce = useCallback(
    async (signal: AbortSignal) => {
      if (path === null || key === null) return;
      const p = paramsRef.current;
      try {
        const text = await requestText("GET", path, { params: typeof p === "function" ? p() : p, signal });
        if (signal.aborted) return;
        if (text === lastText.current) {
          setState((s) => (s.key === key && !s.error ? s : { ...s, key, error: undefined }));
          return;
        }
        lastText.current = text;
        const data = JSON.parse(text) as T;
        reportFreshness(data);
        setState({ key, data, text });
      } catch (err) {
        if (signal.aborted || (err as Error).name === "AbortError") return;
        setState((s) => ({ ...s, key, error: err as Error }));
      }
    },
    [path, key],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    lastText.current = undefined;
    void fetchOnce(ctrl.signal);
    return () => ctrl.abort();
  }, [fetchOnce, reloadCount]);

  useEffect(() => {
    if (!live.enabled || path === null) return;
    let ctrl: AbortController | undefined;
    const timer = window.setInterval(() => {
      if (document.hidden) return;
      ctrl?.abort();
      ctrl = new AbortController();
      void fetchOnce(ctrl.signal);
    }, live.intervalMs);
    return () => {
      window.clearInterval(timer);
      ctrl?.abort();
    };
  }, [fetchOnce, live.enabled, live.intervalMs, path]);

  const reload = useCallback(() => setReloadCount((n) => n + 1), []);
  const current = state.key === key;
  return {
    // Keep showing the previous page's data while the next one loads, to avoid flashing.
    data: state.data,
    error: current ? state.error : undefined,
    loading: !current,
    reload,
  };
}
