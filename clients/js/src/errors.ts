/** The closed set of error codes on the wire (docs/PROTOCOL.md §6). */
export type WireCode =
  | "bad_request"
  | "unauthorized"
  | "token_expired"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "precondition_failed"
  | "rate_limited"
  | "too_many_rooms"
  | "internal"
  | "unavailable"
  | "timeout";

/**
 * Codes the client adds for failures that never reached the server:
 * `closed` (sb.close() or sub.unsubscribe() before the join),
 * `token_failed` (the token getter threw or returned no token),
 * `protocol` (the server closed with a "client bug" close code, §3.6),
 * `callback_failed` (one of your handlers threw; reported, not fatal).
 */
export type ClientCode = "closed" | "token_failed" | "protocol" | "callback_failed";

export type ErrorCode = WireCode | ClientCode;

/** Every error of the client: `code` is the wire code when the server gave one. */
export class SwitchboardError extends Error {
  override readonly name = "SwitchboardError";
  readonly code: ErrorCode;
  /** The room the error is about, when it is about one. */
  readonly room: string | undefined;
  /** The HTTP status, when the error came as an HTTP answer. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { room?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.room = opts.room;
    this.status = opts.status;
  }
}

/** Codes worth retrying as is, after a delay (docs/PROTOCOL.md §6, §4.3). */
export function temporary(code: string): boolean {
  return code === "internal" || code === "unavailable" || code === "timeout" || code === "rate_limited";
}

/**
 * Whether a WebSocket close code means "reconnect and resume": every code
 * but 1000, 1002, 1007 and 1009 (docs/PROTOCOL.md §3.6).
 */
export function closeRetries(code: number): boolean {
  return code !== 1000 && code !== 1002 && code !== 1007 && code !== 1009;
}

/** Reads an HTTP error answer (`{"error":{"code","message"}}`, §6). */
export async function httpError(res: Response, what: string, room?: string): Promise<SwitchboardError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // the body is optional
  }
  let code: ErrorCode = res.status >= 500 ? "internal" : "bad_request";
  let message = text.trim() || res.statusText;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.code) {
      code = body.error.code as WireCode;
      message = body.error.message ?? message;
    }
  } catch {
    if (res.status === 401) code = "unauthorized";
    else if (res.status === 403) code = "forbidden";
    else if (res.status === 404) code = "not_found";
    else if (res.status === 429) code = "rate_limited";
    else if (res.status === 503) code = "unavailable";
  }
  const opts: { status: number; room?: string } = { status: res.status };
  if (room !== undefined) opts.room = room;
  return new SwitchboardError(code, `${what}: HTTP ${res.status} ${code}: ${message}`, opts);
}
