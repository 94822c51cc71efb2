// Who the client of a stateless request is. Only `initialize` names the client on 2025-era
// requests; the requests after it carry a User-Agent that is often just the HTTP library
// (`python-httpx2/2.16.2`, `node`), so the collector would see two clients and make two sessions.
// The name announced at initialize is remembered per credential and client signals (or per
// correlation id for anonymous clients) and used for the client's later requests.
import { announcedClientInfo, type NameVersion, userAgentClientInfo } from "./client-info.js";
import {
  type CorrelationSignals,
  correlationIdOf,
  correlationSignals,
  signalsDigest,
} from "./correlation.js";
import type { RequestView } from "./request-view.js";

/** Clients remembered per project; beyond it the least recently seen is forgotten. */
export const MAX_REMEMBERED_CLIENTS = 10_000;
/** How long an announced name is used after its initialize. */
export const CLIENT_MEMORY_TTL_MS = 24 * 60 * 60 * 1000;

type RequestLike = { method?: unknown; params?: Record<string, unknown> } | undefined;

/** The client fields of a stateless event. */
export interface StatelessClient {
  client: NameVersion | undefined;
  correlationId: string | undefined;
}

export class StatelessClients {
  private readonly names = new Map<string, { info: NameVersion; expiresAt: number }>();

  constructor(
    private readonly projectId: string,
    private readonly maxEntries = MAX_REMEMBERED_CLIENTS,
    private readonly ttlMs = CLIENT_MEMORY_TTL_MS,
  ) {}

  /** Remembers the client a successful stateless `initialize` announced, for the requests that follow. */
  announce(request: RequestLike, view: RequestView, result: unknown, now: number): void {
    const info = request?.method === "initialize" ? announcedClientInfo(request, view) : undefined;
    const key = info && this.keyOf("initialize", view, result);
    if (key === undefined || info === undefined) return;
    this.names.delete(key);
    if (this.names.size >= this.maxEntries) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
    this.names.set(key, { info, expiresAt: now + this.ttlMs });
  }

  /**
   * The client of a stateless request — what the request names, else the name remembered from its
   * initialize, else the User-Agent — and its correlation id.
   */
  resolve(
    method: string,
    request: RequestLike,
    view: RequestView,
    result: unknown,
    now: number,
  ): StatelessClient {
    const signals = correlationSignals(method, view, result);
    const correlationId = correlationIdOf(this.projectId, signals);
    const client =
      announcedClientInfo(request, view) ??
      this.recall(this.keyFor(view, signals, correlationId), now) ??
      userAgentClientInfo(view);
    return { client, correlationId };
  }

  private keyOf(method: string, view: RequestView, result: unknown): string | undefined {
    const signals = correlationSignals(method, view, result);
    return this.keyFor(view, signals, correlationIdOf(this.projectId, signals));
  }

  /**
   * A credential's clients are told apart by their signals too, so two clients sharing an API key
   * keep their own names; anonymous clients are known by their correlation id only.
   */
  private keyFor(
    view: RequestView,
    signals: CorrelationSignals,
    correlationId: string | undefined,
  ): string | undefined {
    const credential = view.credentialFingerprint();
    if (credential === undefined) return correlationId;
    return `${credential}:${signalsDigest(this.projectId, signals) ?? ""}`;
  }

  private recall(key: string | undefined, now: number): NameVersion | undefined {
    if (key === undefined) return undefined;
    const entry = this.names.get(key);
    if (entry === undefined) return undefined;
    this.names.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.names.set(key, entry); // most recently seen last
    return entry.info;
  }
}
