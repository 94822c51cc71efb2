/**
 * The only place that talks HTTP. The query API lives on the same origin under `/api/v1` and
 * authenticates with the login cookie; errors arrive as `{ error: { code, message, details? } }`.
 */

export const API_BASE = "api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Fired on `window` when any request comes back 401, so the shell can show the login page. */
export const UNAUTHORIZED_EVENT = "mcpsight:unauthorized";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export type Params = Record<string, string | number | boolean | null | undefined>;

export function apiUrl(path: string, params?: Params): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === null || v === undefined || v === "") continue;
    qs.set(k, String(v));
  }
  const query = qs.toString();
  return `${API_BASE}${path}${query ? `?${query}` : ""}`;
}

async function toError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `Request failed with status ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // Not JSON (a proxy error page, say): keep the status text.
  }
  return new ApiError(res.status, code, message);
}

/** Sends a request and returns the raw body text (callers compare it to skip unchanged refreshes). */
export async function requestText(
  method: Method,
  path: string,
  options: { params?: Params; body?: unknown; signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.params), {
      method,
      credentials: "same-origin",
      headers:
        options.body === undefined
          ? { accept: "application/json" }
          : {
              accept: "application/json",
              "content-type": "application/json",
            },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network", "The collector cannot be reached. Is it running?");
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && !options.quiet401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    throw error;
  }
  return res.text();
}

export async function request<T>(
  method: Method,
  path: string,
  options: { params?: Params; body?: unknown; signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  const text = await requestText(method, path, options);
  return (text ? JSON.parse(text) : undefined) as T;
}
