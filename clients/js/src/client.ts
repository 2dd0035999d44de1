import { Backoff } from "./backoff.js";
import { endpoint, message, type Conn, type DownKind } from "./core.js";
import { httpError, SwitchboardError, temporary } from "./errors.js";
import { SseConn, type SseCore } from "./sse.js";
import { Subscription, type SubscriptionHost } from "./subscription.js";
import { TokenSource } from "./token.js";
import type { CloudEvent, ConnectionState, EventMap, FetchFunction, PresenceData, SubscribeOptions, SwitchboardOptions, Transport, WebSocketConstructor } from "./types.js";
import { WsConn } from "./ws.js";

/** The client's own events: sb.on("error", …), sb.on("state", …). */
export interface ClientEvents {
  /** Every error: fatal ones leave the client "closed" with sb.error set. */
  error: (err: SwitchboardError) => void;
  /** Connection state changes; err says why a connection went down. */
  state: (state: ConnectionState, err?: SwitchboardError) => void;
}

const maxTimer = 2 ** 31 - 1;

/**
 * A Switchboard client: one connection (WebSocket, or one SSE stream for
 * all rooms) that reconnects with jittered exponential backoff, rejoins
 * every room from its last seq, and refreshes the token before it expires.
 */
export class Switchboard<M extends object = EventMap> {
  readonly transport: Transport;
  readonly #urls: string[];
  #urlIndex = 0;
  readonly #tokens: TokenSource;
  readonly #backoff: Backoff;
  readonly #refreshAt: number;
  readonly #core: SseCore;
  readonly #host: SubscriptionHost;
  readonly #subs = new Map<string, Subscription>();
  readonly #listeners: { [K in keyof ClientEvents]: Set<ClientEvents[K]> } = { error: new Set(), state: new Set() };
  readonly #onError: ((err: SwitchboardError) => void) | undefined;
  #conn: Conn | undefined;
  #state: ConnectionState = "idle";
  #error: SwitchboardError | undefined;
  #gen = 0;
  #authFailures = 0;
  #failures = 0; // connections that went down since one last opened
  #position: number | undefined; // SSE: the highest seq seen on the stream
  #retryHint = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(o: SwitchboardOptions) {
    this.#urls = (Array.isArray(o.url) ? o.url : [o.url]).filter((u) => u !== "");
    if (this.#urls.length === 0) throw new SwitchboardError("bad_request", "Switchboard: url is required");
    if (typeof o.token !== "string" && typeof o.token !== "function") throw new SwitchboardError("bad_request", "Switchboard: token must be a string or a function");
    this.transport = o.transport ?? "websocket";
    if (this.transport !== "websocket" && this.transport !== "sse") throw new SwitchboardError("bad_request", `Switchboard: transport must be "websocket" or "sse", got ${String(this.transport)}`);
    this.#tokens = new TokenSource(o.token);
    this.#backoff = new Backoff(o.backoff);
    this.#refreshAt = Math.min(0.95, Math.max(0.1, o.refreshAt ?? 0.8));
    this.#onError = o.onError;
    const g = globalThis as { WebSocket?: WebSocketConstructor; fetch?: FetchFunction };
    const fetchFn = o.fetch ?? (g.fetch ? (input: string, init?: RequestInit) => g.fetch!(input, init) : undefined);
    const self = this;
    this.#core = {
      ws: o.WebSocket ?? g.WebSocket,
      fetch: fetchFn,
      idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
      pingIntervalMs: o.pingIntervalMs ?? 25_000,
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      subs: () => [...self.#subs.values()],
      sub: (room) => self.#subs.get(room),
      opened: (c) => self.#opened(c),
      joined: (c, sub, recovered, seq) => c === self.#conn && self.#joined(sub, recovered, seq),
      refused: (c, sub, err) => c === self.#conn && self.#refused(sub, err),
      event: (c, room, seq, ev) => c === self.#conn && self.#event(room, seq, ev),
      refreshed: (c, err) => c === self.#conn && self.#refreshed(err),
      down: (c, err, kind, delay) => self.#down(c, err, kind, delay),
      report: (err) => self.#report(err),
      streamJoined: (c, recovered, pos) => {
        if (c !== self.#conn) return;
        for (const room of c.rooms) {
          const sub = self.#subs.get(room);
          if (sub) self.#joined(sub, recovered, pos);
        }
      },
      position: (c, seq) => {
        if (c !== self.#conn) return;
        if (self.#position === undefined || seq > self.#position) self.#position = seq;
        // One stream delivers its rooms' events in seq order (§7): each of
        // them has seen everything up to seq, so a new stream resumes there
        // instead of replaying from the room's last event.
        for (const room of c.rooms) self.#subs.get(room)?.advance(seq);
      },
      roomsRefused: (c, err) => void self.#roomsRefused(c, err),
      retryHint: (ms) => {
        self.#retryHint = ms;
      },
    };
    this.#host = {
      leave: (sub) => this.#leave(sub),
      presence: (room) => this.#presence(room),
      report: (err) => this.#report(err),
    };
  }

  /** idle (nothing joined yet), connecting, connected, disconnected (waiting to reconnect) or closed. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The error that stopped the client, if one did. */
  get error(): SwitchboardError | undefined {
    return this.#error;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ClientEvents>(type: K, listener: ClientEvents[K]): () => void {
    const set = this.#listeners[type] as Set<ClientEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Joins a room. One subscription per room at a time: subscribe again
   * after unsubscribe(). The returned subscription's `ready` settles with
   * the first join.
   */
  subscribe(room: string, opts: SubscribeOptions<M> = {}): Subscription<M> {
    if (this.#subs.has(room)) throw new SwitchboardError("bad_request", `already subscribed to ${room}: unsubscribe the other subscription first`, { room });
    const sub = new Subscription<M>(this.#host, room, opts);
    const s = sub as unknown as Subscription;
    if (this.#state === "closed") {
      s.stop(this.#error ?? new SwitchboardError("closed", `subscribe ${room}: the client is closed`, { room }));
      return sub;
    }
    this.#subs.set(room, s);
    if (this.transport === "sse") this.#reopenSoon();
    else if (this.#conn instanceof WsConn) this.#conn.join(s);
    else if (this.#state === "idle") void this.#connect(false);
    return sub;
  }

  /** Closes the connection for good; pending `ready` promises reject with code "closed". */
  close(): void {
    if (this.#state === "closed") return;
    this.#stopTimers();
    this.#gen++;
    this.#conn?.close();
    this.#conn = undefined;
    const err = new SwitchboardError("closed", "the client was closed");
    for (const sub of this.#subs.values()) sub.stop(err);
    this.#subs.clear();
    this.#setState("closed");
  }

  async #connect(fresh: boolean): Promise<void> {
    if (this.#state === "closed") return;
    const gen = ++this.#gen;
    this.#retryTimer = undefined;
    if (this.transport === "sse" && this.#subs.size === 0) return this.#setState("idle");
    this.#setState("connecting");
    let token: string;
    try {
      token = await this.#tokens.get(fresh);
    } catch (e) {
      return this.#fatal(e instanceof SwitchboardError ? e : new SwitchboardError("token_failed", message(e)));
    }
    if (gen !== this.#gen) return; // closed, or a newer attempt started
    this.#conn?.close();
    this.#conn = undefined;
    const url = this.#urls[this.#urlIndex % this.#urls.length]!;
    try {
      if (this.transport === "websocket") {
        this.#conn = new WsConn(this.#core, url, token);
      } else {
        const subs = [...this.#subs.values()];
        if (subs.length === 0) return this.#setState("idle");
        this.#conn = new SseConn(this.#core, url, token, subs.map((s) => s.room), this.#sseSince(subs));
      }
    } catch (e) {
      return this.#fatal(e instanceof SwitchboardError ? e : new SwitchboardError("bad_request", `connect ${url}: ${message(e)}`));
    }
    this.#scheduleRefresh();
  }

  /**
   * The Last-Event-ID of a new stream: the lowest position of its rooms,
   * so that none misses an event; the others drop the repeats by seq
   * (docs/PROTOCOL.md §7). A room with no position yet starts at the
   * stream's current one.
   */
  #sseSince(subs: Subscription[]): number | undefined {
    let low: number | undefined;
    for (const s of subs) {
      if (s.resumeFrom === undefined && this.#position !== undefined) s.startAt(this.#position);
      const r = s.resumeFrom;
      if (r !== undefined && (low === undefined || r < low)) low = r;
    }
    return low;
  }

  #opened(c: Conn): void {
    if (c !== this.#conn) return;
    this.#authFailures = 0;
    this.#failures = 0;
    this.#setState("connected");
  }

  #joined(sub: Subscription, recovered: boolean, seq?: number): void {
    if (this.#subs.get(sub.room) !== sub) return;
    this.#backoff.reset();
    sub.joined(recovered, seq);
  }

  #refused(sub: Subscription, err: SwitchboardError): void {
    if (this.#subs.get(sub.room) !== sub) return;
    if (temporary(err.code) || err.code === "token_expired") {
      // Try the join again later on this connection (token_expired: the
      // connection is about to close; the next one rejoins).
      if (err.code !== "token_expired") {
        const c = this.#conn;
        setTimeout(() => {
          if (c === this.#conn && c instanceof WsConn && this.#subs.get(sub.room) === sub) c.join(sub);
        }, this.#backoff.next());
      }
      return;
    }
    this.#subs.delete(sub.room);
    sub.fail(err);
    this.#report(err);
  }

  #event(room: string, seq: number | undefined, ev: CloudEvent): void {
    const sub = this.#subs.get(room);
    if (!sub) return;
    sub.deliver(ev, seq);
    if (ev.type === "access.revoked") {
      // §9: the server took the connection out of the room; do not rejoin.
      const reason = (ev.data as { reason?: string } | null)?.reason ?? "";
      const err = new SwitchboardError("forbidden", `access to ${room} revoked${reason ? ": " + reason : ""}`, { room });
      this.#subs.delete(room);
      sub.fail(err);
      this.#report(err);
    }
  }

  #leave(sub: Subscription): void {
    if (this.#subs.get(sub.room) !== sub) return;
    this.#subs.delete(sub.room);
    if (this.transport === "sse") this.#reopenSoon();
    else if (this.#conn instanceof WsConn) this.#conn.leave(sub.room);
  }

  /** SSE: the rooms of a stream are fixed (§4.1): open a new one with the new set. */
  #reopenSoon(): void {
    if (this.#state === "closed" || this.#reopenTimer !== undefined) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      if (this.#state === "closed" || this.#retryTimer !== undefined) return; // the pending retry uses the new set
      this.#conn?.close();
      this.#conn = undefined;
      void this.#connect(false);
    }, 0);
  }

  /**
   * SSE: a request refused for a room does not say which one; ask each
   * room's presence (authorized like a join, §8) to find it.
   */
  async #roomsRefused(c: SseConn, err: SwitchboardError): Promise<void> {
    if (c !== this.#conn) return;
    this.#conn = undefined;
    const bad: [Subscription, SwitchboardError][] = [];
    if (c.rooms.length === 1) {
      const sub = this.#subs.get(c.rooms[0]!);
      if (sub) bad.push([sub, new SwitchboardError(err.code, err.message, { room: sub.room, ...(err.status ? { status: err.status } : {}) })]);
    } else {
      await Promise.all(
        c.rooms.map(async (room) => {
          const sub = this.#subs.get(room);
          if (!sub) return;
          try {
            await this.#presence(room);
          } catch (e) {
            if (e instanceof SwitchboardError && (e.code === "forbidden" || e.code === "bad_request" || e.code === "not_found")) bad.push([sub, e]);
          }
        }),
      );
      if (bad.length === 0 && err.code === "too_many_rooms") {
        for (const sub of this.#subs.values()) if (sub.state === "joining") bad.push([sub, new SwitchboardError(err.code, err.message, { room: sub.room })]);
      }
    }
    if (this.#state === "closed") return;
    for (const [sub, e] of bad) {
      if (this.#subs.get(sub.room) !== sub) continue;
      this.#subs.delete(sub.room);
      sub.fail(e);
      this.#report(e);
    }
    if (this.#conn !== undefined || this.#retryTimer !== undefined) return; // reopened meanwhile
    if (bad.length > 0) return void this.#connect(false);
    this.#down(undefined, err, "retry");
  }

  #refreshed(err?: SwitchboardError): void {
    if (err) {
      // The connection keeps its old token; at exp it closes with 4001 and
      // the next connection asks the getter again.
      this.#report(new SwitchboardError(err.code, `token refresh refused: ${err.message}`));
      return;
    }
    this.#scheduleRefresh();
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    if (!this.#tokens.refreshable) return;
    const ms = this.#tokens.refreshIn(this.#refreshAt);
    if (!Number.isFinite(ms)) return;
    this.#refreshTimer = setTimeout(() => void this.#refresh(), Math.min(ms, maxTimer));
  }

  async #refresh(): Promise<void> {
    const c = this.#conn;
    let token: string;
    try {
      token = await this.#tokens.get(true);
    } catch (e) {
      return this.#fatal(e instanceof SwitchboardError ? e : new SwitchboardError("token_failed", message(e)));
    }
    if (this.#state === "closed" || c !== this.#conn) return; // a new connection took the new token
    if (c instanceof WsConn && c.open) {
      c.refresh(token); // §3.2
    } else if (c instanceof SseConn) {
      // Tokens cannot be refreshed on an open stream (§4.3): open a new one
      // from the last seq; the old one's repeats are dropped by seq.
      c.close();
      this.#conn = undefined;
      void this.#connect(false);
    }
  }

  #down(c: Conn | undefined, err: SwitchboardError, kind: DownKind, delayMs?: number): void {
    if (c !== undefined && c !== this.#conn) return;
    this.#conn = undefined;
    clearTimeout(this.#refreshTimer);
    if (this.#state === "closed") return;
    if (kind === "fatal") return this.#fatal(err);
    let fresh = false;
    this.#failures++;
    if (kind === "retry") {
      // A refused upgrade may look like a network failure (a browser hides
      // the status): a fixed token past its exp stops the client, and a
      // getter is asked again every third failure.
      if (!this.#tokens.refreshable && this.#tokens.refreshIn(1) === 0) {
        return this.#fatal(new SwitchboardError("token_expired", `${err.message}; the token expired at its exp (a fixed string: pass a getter to refresh it)`, { cause: err }));
      }
      fresh = this.#tokens.refreshable && this.#failures % 3 === 0;
    }
    if (kind === "auth") {
      if (!this.#tokens.refreshable) return this.#fatal(new SwitchboardError(err.code, `${err.message} (the token is a fixed string: pass a getter to refresh it)`, { cause: err }));
      if (++this.#authFailures > 2) return this.#fatal(new SwitchboardError(err.code, `${err.message} (refused ${this.#authFailures} times with fresh tokens from the getter)`, { cause: err }));
      fresh = true;
    }
    this.#setState("disconnected", err);
    this.#urlIndex++;
    // SSE: the stream's retry: bounds the wait before a reconnect (§4.2),
    // drawn between half of it and all of it, so that the streams of a
    // restarted node do not all come back in the same millisecond.
    const hint = kind === "auth" ? 0 : Math.min(this.#retryHint, 30_000);
    const delay = Math.max(this.#backoff.next(), delayMs ?? 0, hint / 2 + Math.random() * (hint / 2));
    this.#retryTimer = setTimeout(() => void this.#connect(fresh), delay);
  }

  async #presence(room: string): Promise<PresenceData[]> {
    const f = this.#core.fetch;
    if (!f) throw new SwitchboardError("bad_request", "presence: no fetch function: pass { fetch }");
    const base = this.#urls[this.#urlIndex % this.#urls.length]!;
    const token = await this.#tokens.get(false);
    const url = endpoint(base, `/v1/rooms/${encodeURIComponent(room).replace(/%3A/gi, ":")}/presence`);
    // ?token= rather than a header: a simple request, no CORS preflight (§1).
    const res = await f(`${url}?token=${encodeURIComponent(token)}`, { cache: "no-store", credentials: "omit" });
    if (!res.ok) throw await httpError(res, `GET ${url}`, room);
    const body = (await res.json()) as { users?: PresenceData[] };
    return (body.users ?? []).map((u) => ({ ...u, room }));
  }

  #fatal(err: SwitchboardError): void {
    if (this.#state === "closed") return;
    this.#stopTimers();
    this.#gen++;
    this.#conn?.close();
    this.#conn = undefined;
    this.#error = err;
    for (const sub of this.#subs.values()) sub.fail(err);
    this.#subs.clear();
    this.#setState("closed", err);
    this.#report(err);
  }

  #report(err: SwitchboardError): void {
    let told = false;
    if (this.#onError) {
      told = true;
      try {
        this.#onError(err);
      } catch {
        // a failing error handler has nowhere else to report to
      }
    }
    for (const l of [...this.#listeners.error]) {
      told = true;
      try {
        l(err);
      } catch {
        // as above
      }
    }
    if (!told && err.code !== "closed") console.error("switchboard:", err.message);
  }

  #setState(s: ConnectionState, err?: SwitchboardError): void {
    if (this.#state === s) return;
    this.#state = s;
    for (const l of [...this.#listeners.state]) {
      try {
        l(s, err);
      } catch (e) {
        this.#report(new SwitchboardError("callback_failed", `a state listener threw: ${message(e)}`, { cause: e }));
      }
    }
  }

  #stopTimers(): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#reopenTimer);
    this.#retryTimer = this.#refreshTimer = this.#reopenTimer = undefined;
  }
}
