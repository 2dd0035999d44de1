import { httpError, SwitchboardError, temporary, type WireCode } from "./errors.js";
import { endpoint, message, type Conn, type Core, type DownKind } from "./core.js";
import { SseParser, type SseBlock } from "./sse-parse.js";
import type { CloudEvent } from "./types.js";

/** Reasons an SSE request can be refused that are about its rooms (§4.1). */
const roomCodes = new Set(["forbidden", "bad_request", "not_found", "too_many_rooms"]);

/** What an SSE stream tells its client beyond Core. */
export interface SseCore extends Core {
  /** The stream answered: every room is joined; pos is the id-only position (no since). */
  streamJoined(conn: SseConn, recovered: boolean, pos: number | undefined): void;
  /** An id moved the stream's resume point: every room of the stream has all its events up to seq. */
  position(conn: SseConn, seq: number): void;
  /** The request was refused for one of its rooms (which one is not said). */
  roomsRefused(conn: SseConn, err: SwitchboardError): void;
  retryHint(ms: number): void;
}

/**
 * One SSE stream of a fixed set of rooms (docs/PROTOCOL.md §4), read with
 * fetch: unlike EventSource it receives every named event, reports the
 * status and body of a refusal, and never reconnects by itself with a
 * stale token.
 */
export class SseConn implements Conn {
  readonly rooms: string[];
  readonly since: number | undefined;
  readonly #core: SseCore;
  readonly #base: string;
  readonly #ac = new AbortController();
  #done = false;
  #acked = false;
  #idle: ReturnType<typeof setTimeout> | undefined;

  constructor(core: SseCore, base: string, token: string, rooms: string[], since: number | undefined) {
    this.#core = core;
    this.#base = base;
    this.rooms = rooms;
    this.since = since;
    void this.#run(token);
  }

  close(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#idle);
    this.#ac.abort();
  }

  get #where(): string {
    return `GET ${endpoint(this.#base, "/v1/sse")} (rooms ${this.rooms.join(", ")})`;
  }

  async #run(token: string): Promise<void> {
    const f = this.#core.fetch;
    if (!f) return this.#end(new SwitchboardError("bad_request", "no fetch function: pass { fetch }"), "fatal");
    const q = new URLSearchParams();
    for (const r of this.rooms) q.append("room", r);
    if (this.since !== undefined) q.set("since", String(this.since));
    q.set("autojoin", "0"); // only the rooms subscribed to (§4.1)
    q.set("token", token); // a query, not headers: no CORS preflight (§1)
    const dial = setTimeout(() => this.#end(new SwitchboardError("unavailable", `${this.#where}: no answer within ${this.#core.connectTimeoutMs} ms`), "retry"), this.#core.connectTimeoutMs);
    let res: Response;
    try {
      res = await f(endpoint(this.#base, "/v1/sse") + "?" + q.toString(), {
        headers: { Accept: "text/event-stream" },
        cache: "no-store",
        credentials: "omit",
        signal: this.#ac.signal,
      });
    } catch (e) {
      clearTimeout(dial);
      return this.#end(new SwitchboardError("unavailable", `${this.#where}: ${message(e)}`, { cause: e }), "retry");
    }
    clearTimeout(dial);
    if (this.#done) return;
    if (!res.ok) {
      const err = await httpError(res, this.#where);
      if (this.#done) return;
      if (err.code === "unauthorized" || err.code === "token_expired") return this.#end(err, "auth");
      if (roomCodes.has(err.code)) {
        this.#done = true;
        this.#core.roomsRefused(this, err);
        return;
      }
      const after = Number(res.headers.get("Retry-After"));
      return this.#end(err, temporary(err.code) ? "retry" : "fatal", Number.isFinite(after) && after > 0 ? after * 1000 : undefined);
    }
    if (!res.body) return this.#end(new SwitchboardError("internal", `${this.#where}: the answer has no body`), "retry");
    this.#core.opened(this);
    this.#alive();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    let recovered = true;
    let pos: number | undefined;
    let sawRetry = false;
    const ack = () => {
      if (this.#acked) return;
      this.#acked = true;
      this.#core.streamJoined(this, this.since === undefined ? true : recovered, pos);
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (this.#done) return;
        if (done) return this.#end(new SwitchboardError("unavailable", `${this.#where}: the stream ended`), "retry");
        this.#alive();
        for (const b of parser.push(value)) {
          if (b.retry !== undefined) {
            sawRetry = true;
            this.#core.retryHint(b.retry);
          }
          if (b.event === "recovery") {
            recovered = parseRecovery(b.data);
          } else if (b.event === "error") {
            ack();
            return this.#streamError(b);
          } else if (b.data !== "") {
            ack();
            this.#event(b);
          } else if (b.id !== undefined && /^\d+$/.test(b.id)) {
            pos = Number(b.id); // id-only: the position at the start (§4.2)
            this.#core.position(this, pos);
          }
          if (this.#done) return;
        }
        // The first blocks (retry, then recovery or the id) come in one write.
        if (sawRetry) ack();
      }
    } catch (e) {
      if (this.#done) return;
      this.#end(new SwitchboardError("unavailable", `${this.#where}: ${message(e)}`, { cause: e }), "retry");
    } finally {
      reader.releaseLock();
    }
  }

  #event(b: SseBlock): void {
    let p: { room?: string; seq?: number; event?: CloudEvent };
    try {
      p = JSON.parse(b.data) as typeof p;
    } catch {
      this.#core.report(new SwitchboardError("internal", `${this.#where}: an event that is not JSON: ${b.data.slice(0, 200)}`));
      return;
    }
    if (!p.room || !p.event) return;
    const seq = typeof p.seq === "number" ? p.seq : undefined;
    this.#core.event(this, p.room, seq, p.event);
    if (seq !== undefined) this.#core.position(this, seq);
  }

  #streamError(b: SseBlock): void {
    let body: { code?: string; message?: string } = {};
    try {
      body = JSON.parse(b.data) as typeof body;
    } catch {
      // keep the defaults
    }
    const code = (body.code ?? "internal") as WireCode;
    const err = new SwitchboardError(code, `${this.#where}: the stream ended with ${code}: ${body.message ?? ""}`);
    // §4.3: token_expired → reconnect with a fresh token; internal,
    // unavailable, rate_limited → reconnect; anything else is not retried.
    this.#end(err, code === "token_expired" || code === "unauthorized" ? "auth" : temporary(code) ? "retry" : "fatal");
  }

  #alive(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(
      () => this.#end(new SwitchboardError("unavailable", `${this.#where}: nothing received for ${this.#core.idleTimeoutMs} ms`), "retry"),
      this.#core.idleTimeoutMs,
    );
  }

  #end(err: SwitchboardError, kind: DownKind, delayMs?: number): void {
    if (this.#done) return;
    this.close();
    this.#core.down(this, err, kind, delayMs);
  }
}

function parseRecovery(data: string): boolean {
  try {
    return (JSON.parse(data) as { recovered?: boolean }).recovered !== false;
  } catch {
    return true;
  }
}
