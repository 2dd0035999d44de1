import { SwitchboardError } from "./errors.js";
import type { BuiltinEvents, CloudEvent, EventMap, EventMeta, PresenceData, SubscribeOptions, SubscriptionState } from "./types.js";

type Handler = (data: unknown, event: CloudEvent) => void;

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  leave(sub: Subscription<EventMap>): void;
  presence(room: string): Promise<PresenceData[]>;
  report(err: SwitchboardError): void;
}

/**
 * One room joined by a client. It keeps the seq of the last event handled,
 * rejoins from it after every reconnect and drops what it has already seen
 * (docs/PROTOCOL.md §7).
 */
export class Subscription<M extends object = EventMap> {
  readonly room: string;
  /** Resolves once the room is joined; rejects with a SwitchboardError (.code) if it never is. */
  readonly ready: Promise<void>;
  #state: SubscriptionState = "joining";
  #seq: number | undefined;
  #error: SwitchboardError | undefined;
  readonly #opts: SubscribeOptions<M>;
  readonly #host: SubscriptionHost;
  readonly #handlers = new Map<string, Set<Handler>>();
  #settle: { resolve: () => void; reject: (e: SwitchboardError) => void } | undefined;

  /** @internal created by Switchboard.subscribe */
  constructor(host: SubscriptionHost, room: string, opts: SubscribeOptions<M>) {
    this.#host = host;
    this.room = room;
    this.#opts = opts;
    this.#seq = opts.since;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Nobody has to await ready: a refusal is also reported to onError.
    this.ready.catch(() => {});
    for (const [type, h] of Object.entries(opts.on ?? {})) {
      if (typeof h === "function") this.#add(type, h as Handler);
    }
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /**
   * Where a rejoin resumes: the seq of the last event handled, or the
   * join's position, or (SSE) the shared stream's position if higher;
   * undefined before the first join.
   */
  get seq(): number | undefined {
    return this.#seq;
  }

  /** Why the subscription ended, if it ended with an error. */
  get error(): SwitchboardError | undefined {
    return this.#error;
  }

  /**
   * Calls handler with the payload of every event of this type; returns a
   * function that removes it. `data` is typed from the client's event map.
   */
  on<K extends keyof (M & BuiltinEvents) & string>(
    type: K,
    handler: (data: (M & BuiltinEvents)[K], event: CloudEvent<(M & BuiltinEvents)[K], K>) => void,
  ): () => void {
    return this.#add(type, handler as unknown as Handler);
  }

  #add(type: string, h: Handler): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    set.add(h);
    return () => set.delete(h);
  }

  /** The users present in the room now, cluster-wide (GET /v1/rooms/{room}/presence, §8). */
  presence(): Promise<PresenceData[]> {
    return this.#host.presence(this.room);
  }

  /** Leaves the room; no event is delivered after this returns. */
  unsubscribe(): void {
    if (this.#state === "ended") return;
    this.#end(new SwitchboardError("closed", `subscription to ${this.room} was unsubscribed before it was joined`, { room: this.room }), false);
    this.#host.leave(this as unknown as Subscription<EventMap>);
  }

  /** @internal the position a rejoin starts after (undefined: live from now) */
  get resumeFrom(): number | undefined {
    return this.#seq;
  }

  /** @internal the room is joined; seq is the join's position when it had no since */
  joined(recovered: boolean, seq?: number): void {
    if (this.#state === "ended") return;
    if (this.#seq === undefined && seq !== undefined) this.#seq = seq;
    const first = this.#state === "joining";
    this.#state = "joined";
    if (first) this.#settle?.resolve();
    this.#call(() => this.#opts.onRecovered?.(recovered));
  }

  /** @internal the position to start at when it has none (SSE: the shared stream's) */
  startAt(seq: number): void {
    if (this.#seq === undefined) this.#seq = seq;
  }

  /** @internal SSE: the shared stream has delivered everything of this room up to seq */
  advance(seq: number): void {
    if (this.#state === "joined" && (this.#seq === undefined || seq > this.#seq)) this.#seq = seq;
  }

  /**
   * @internal an event of the room: dropped before the join is answered
   * (the ok of a join comes before its events, §3.3) and when its seq was
   * handled already (§7)
   */
  deliver(event: CloudEvent, seq: number | undefined): void {
    if (this.#state !== "joined") return;
    if (seq !== undefined) {
      if (this.#seq !== undefined && seq <= this.#seq) return;
      this.#seq = seq;
    }
    const meta: EventMeta = seq === undefined ? { room: this.room } : { room: this.room, seq };
    this.#call(() => this.#opts.onEvent?.(event, meta));
    const set = this.#handlers.get(event.type);
    if (set) for (const h of [...set]) this.#call(() => h(event.data, event));
  }

  /** @internal the subscription ends: refused, revoked, or the client failed */
  fail(err: SwitchboardError): void {
    this.#end(err, true);
  }

  /** @internal the client was closed: ready rejects, onError is not called */
  stop(err: SwitchboardError): void {
    this.#end(err, false);
  }

  #end(err: SwitchboardError, report: boolean): void {
    if (this.#state === "ended") return;
    const wasJoined = this.#state === "joined";
    this.#state = "ended";
    if (report) this.#error = err;
    this.#settle?.reject(err);
    this.#settle = undefined;
    if (report && (wasJoined || this.#opts.onError)) this.#call(() => this.#opts.onError?.(err));
  }

  #call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#host.report(
        new SwitchboardError("callback_failed", `a handler of ${this.room} threw: ${e instanceof Error ? e.message : String(e)}`, {
          room: this.room,
          cause: e,
        }),
      );
    }
  }
}
