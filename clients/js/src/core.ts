import type { SwitchboardError } from "./errors.js";
import type { CloudEvent, FetchFunction, WebSocketConstructor } from "./types.js";
import type { Subscription } from "./subscription.js";

/** How a connection ended: reconnect, reconnect with a fresh token, or stop. */
export type DownKind = "retry" | "auth" | "fatal";

/** A transport connection: one WebSocket, or one SSE stream. */
export interface Conn {
  close(): void;
}

/** What a connection needs from its client. */
export interface Core {
  readonly ws: WebSocketConstructor | undefined;
  readonly fetch: FetchFunction | undefined;
  readonly idleTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly connectTimeoutMs: number;
  /** The subscriptions that are not ended. */
  subs(): Subscription[];
  sub(room: string): Subscription | undefined;
  opened(conn: Conn): void;
  joined(conn: Conn, sub: Subscription, recovered: boolean, seq?: number): void;
  refused(conn: Conn, sub: Subscription, err: SwitchboardError): void;
  event(conn: Conn, room: string, seq: number | undefined, event: CloudEvent): void;
  refreshed(conn: Conn, err?: SwitchboardError): void;
  down(conn: Conn, err: SwitchboardError, kind: DownKind, delayMs?: number): void;
  report(err: SwitchboardError): void;
}

/** base + path, with http(s) turned into ws(s) when ws is set. */
export function endpoint(base: string, path: string, ws = false): string {
  let u = base.replace(/\/+$/, "") + path;
  if (ws) u = u.replace(/^http(s?):/i, "ws$1:");
  return u;
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
