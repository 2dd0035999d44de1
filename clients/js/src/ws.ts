import { closeRetries, httpError, SwitchboardError, temporary, type WireCode } from "./errors.js";
import { endpoint, message, type Conn, type Core } from "./core.js";
import type { Subscription } from "./subscription.js";
import type { CloudEvent } from "./types.js";

/** The part of the WebSocket API (DOM, or the `ws` package) used here. */
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

interface Frame {
  op?: string;
  ref?: string;
  room?: string;
  seq?: number;
  recovered?: boolean;
  code?: string;
  message?: string;
  event?: CloudEvent;
}

type Pending = { op: "join"; sub: Subscription } | { op: "leave" | "refresh" | "ping" };

/**
 * One WebSocket connection (docs/PROTOCOL.md §3): joins every room with
 * `since` = its last seq, answers the server's frames, pings so that
 * silence is noticed, and reports how it ended.
 */
export class WsConn implements Conn {
  readonly #core: Core;
  readonly #base: string;
  readonly #token: string;
  readonly #ws: Socket;
  readonly #pending = new Map<string, Pending>();
  #ref = 0;
  #open = false;
  #done = false;
  #tokenExpired = false;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #ping: ReturnType<typeof setInterval> | undefined;
  #dial: ReturnType<typeof setTimeout> | undefined;

  constructor(core: Core, base: string, token: string) {
    this.#core = core;
    this.#base = base;
    this.#token = token;
    if (!core.ws) throw new SwitchboardError("bad_request", "no WebSocket constructor: pass { WebSocket } (in Node 20: the ws package's)");
    // autojoin=0: this client joins its rooms itself, each with its own
    // since; rooms joined on connect would resume only from the URL's (§2, §3.1).
    const url = endpoint(base, "/v1/ws", true) + "?autojoin=0&token=" + encodeURIComponent(token);
    this.#ws = new core.ws(url) as Socket;
    this.#ws.onopen = () => this.#opened();
    this.#ws.onmessage = (ev) => this.#frame(ev.data);
    this.#ws.onclose = (ev) => void this.#closed(ev.code, ev.reason);
    this.#ws.onerror = () => {}; // a close event follows
    this.#dial = setTimeout(
      () => this.#end(new SwitchboardError("unavailable", `${endpoint(base, "/v1/ws", true)}: no connection within ${core.connectTimeoutMs} ms`), "retry"),
      core.connectTimeoutMs,
    );
  }

  /** Sends a join (with since = the room's last seq, if any). */
  join(sub: Subscription): void {
    const f: { op: string; room: string; ref: string; since?: number } = { op: "join", room: sub.room, ref: this.#next({ op: "join", sub }) };
    if (sub.resumeFrom !== undefined) f.since = sub.resumeFrom;
    this.#send(f);
  }

  leave(room: string): void {
    this.#send({ op: "leave", room, ref: this.#next({ op: "leave" }) });
  }

  /** Replaces the connection's token (§3.2); the answer goes to core.refreshed. */
  refresh(token: string): void {
    this.#send({ op: "refresh", token, ref: this.#next({ op: "refresh" }) });
  }

  get open(): boolean {
    return this.#open && !this.#done;
  }

  close(): void {
    this.#shut();
  }

  /** Ends the connection once: false if it had ended already. */
  #shut(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#stopTimers();
    try {
      this.#ws.close(1000);
    } catch {
      // already closing
    }
    return true;
  }

  #next(p: Pending): string {
    const ref = String(++this.#ref);
    this.#pending.set(ref, p);
    return ref;
  }

  #send(f: object): void {
    if (!this.open) return; // the rooms are joined again on the next connection
    try {
      this.#ws.send(JSON.stringify(f));
    } catch (e) {
      this.#end(new SwitchboardError("unavailable", `send on ${endpoint(this.#base, "/v1/ws", true)}: ${message(e)}`), "retry");
    }
  }

  #opened(): void {
    if (this.#done) return;
    this.#open = true;
    clearTimeout(this.#dial);
    this.#alive();
    this.#ping = setInterval(() => this.#send({ op: "ping", ref: this.#next({ op: "ping" }) }), this.#core.pingIntervalMs);
    this.#core.opened(this);
    for (const sub of this.#core.subs()) this.join(sub);
  }

  #alive(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(
      () => this.#end(new SwitchboardError("unavailable", `nothing received for ${this.#core.idleTimeoutMs} ms on ${endpoint(this.#base, "/v1/ws", true)}`), "retry"),
      this.#core.idleTimeoutMs,
    );
  }

  #frame(data: unknown): void {
    if (this.#done) return;
    this.#alive();
    let f: Frame;
    try {
      f = JSON.parse(String(data)) as Frame;
    } catch {
      this.#core.report(new SwitchboardError("internal", `the server sent a frame that is not JSON: ${String(data).slice(0, 200)}`));
      return;
    }
    const p = f.ref !== undefined ? this.#pending.get(String(f.ref)) : undefined;
    if (p) this.#pending.delete(String(f.ref));
    switch (f.op) {
      case "ok":
        if (p?.op === "join") this.#core.joined(this, p.sub, f.recovered ?? true, f.seq);
        else if (p?.op === "refresh") this.#core.refreshed(this);
        break;
      case "error": {
        const code = (f.code ?? "internal") as WireCode;
        const err = new SwitchboardError(code, `${p?.op ?? "server"}${p?.op === "join" ? " " + p.sub.room : ""}: ${code}: ${f.message ?? ""}`, p?.op === "join" ? { room: p.sub.room } : {});
        if (code === "token_expired") this.#tokenExpired = true;
        if (p?.op === "join") this.#core.refused(this, p.sub, err);
        else if (p?.op === "refresh") this.#core.refreshed(this, err);
        else if (code !== "token_expired") this.#core.report(err);
        break;
      }
      case "event":
        if (f.room && f.event) this.#core.event(this, f.room, typeof f.seq === "number" ? f.seq : undefined, f.event);
        break;
      // welcome, pong and ops this client does not know: nothing to do (§3.3)
    }
  }

  async #closed(code: number, reason: string): Promise<void> {
    if (this.#done) return;
    const where = endpoint(this.#base, "/v1/ws", true);
    if (!this.#open) {
      // The WebSocket API hides why an upgrade was refused: ask with a
      // plain GET, which the server answers with the same error (§3.1).
      const err = await this.#diagnose();
      return this.#end(err ?? new SwitchboardError("unavailable", `${where}: connection failed (${code})`), kindOf(err));
    }
    if (code === 4001 || this.#tokenExpired) {
      return this.#end(new SwitchboardError("token_expired", `${where}: closed ${code} ${reason || "token_expired"}`), "auth");
    }
    if (!closeRetries(code)) {
      return this.#end(new SwitchboardError("protocol", `${where}: the server closed the connection with ${code} ${reason}: not retried (docs/PROTOCOL.md §3.6)`), "fatal");
    }
    this.#end(new SwitchboardError("unavailable", `${where}: closed ${code}${reason ? " " + reason : ""}`), "retry");
  }

  async #diagnose(): Promise<SwitchboardError | undefined> {
    const f = this.#core.fetch;
    if (!f) return undefined;
    try {
      const res = await f(endpoint(this.#base, "/v1/ws") + "?token=" + encodeURIComponent(this.#token), { cache: "no-store" });
      if (res.status === 400 || res.ok) return undefined; // authenticated: not why it failed
      return await httpError(res, `connect ${endpoint(this.#base, "/v1/ws", true)}`);
    } catch {
      return undefined; // unreachable, or a browser without CORS on /v1/ws
    }
  }

  #end(err: SwitchboardError, kind: "retry" | "auth" | "fatal"): void {
    if (this.#shut()) this.#core.down(this, err, kind);
  }

  #stopTimers(): void {
    clearTimeout(this.#dial);
    clearTimeout(this.#idle);
    clearInterval(this.#ping);
  }
}

/** How to go on after a refused connection. */
export function kindOf(err: SwitchboardError | undefined): "retry" | "auth" | "fatal" {
  if (!err) return "retry";
  if (err.code === "unauthorized" || err.code === "token_expired") return "auth";
  if (temporary(err.code)) return "retry";
  return "fatal";
}
