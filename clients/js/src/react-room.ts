// The rooms joined by the React hooks (react.ts), one subscription per
// client and room shared by every component using it. No React here.
import type { Switchboard } from "./client.js";
import { message } from "./core.js";
import { SwitchboardError } from "./errors.js";
import type { Subscription } from "./subscription.js";
import type { CloudEvent, EventMeta, PresenceData, SubscriptionState } from "./types.js";

/** A room's state as the hooks see it; a new object on every change. */
export interface RoomSnapshot {
  readonly state: SubscriptionState | "idle";
  readonly error: SwitchboardError | undefined;
  readonly recovered: boolean | undefined;
  readonly presence: PresenceData[] | undefined;
  readonly presenceError: SwitchboardError | undefined;
}

/** One component's handlers, read when called (the latest render's). */
export interface Listener {
  handlers(): {
    onEvent?: ((event: CloudEvent, meta: EventMeta) => void) | undefined;
    onRecovered?: ((recovered: boolean) => void) | undefined;
    onError?: ((err: SwitchboardError) => void) | undefined;
    on?: { [type: string]: ((data: never, event: never) => void) | undefined } | undefined;
  };
  /** The snapshot changed: re-render. */
  notify(): void;
}

type AnyClient = Switchboard<any>;

const rooms = new WeakMap<AnyClient, Map<string, SharedRoom>>();

/** The room's entry while some component holds it (or its leave is pending). */
export function shared(client: AnyClient, room: string): SharedRoom | undefined {
  return rooms.get(client)?.get(room);
}

/** Takes a hold on the room, joining it if nobody holds it. */
export function acquire(client: AnyClient, room: string, since: number | undefined): SharedRoom {
  let map = rooms.get(client);
  if (!map) rooms.set(client, (map = new Map()));
  let entry = map.get(room);
  if (!entry) {
    entry = new SharedRoom(client, room, since);
    map.set(room, entry);
  } else if (since !== undefined && since !== entry.since) {
    // The first component to join decided where the room starts (one
    // subscription per room): say so rather than ignore it silently.
    console.warn(`useRoom(${JSON.stringify(room)}): since ${since} is ignored: the room is already joined by another component (since ${entry.since ?? "none"})`);
  }
  entry.refs++;
  return entry;
}

/**
 * Drops a hold; the last one leaves the room, at the end of the current
 * task: StrictMode's unmount → mount, a room passed from one component to
 * another, run in one commit and take the room again before that, so it
 * is joined once (no leave + join on the wire, no event missed).
 */
export function release(entry: SharedRoom): void {
  if (--entry.refs > 0) return;
  queueMicrotask(() => {
    if (entry.refs === 0) entry.close();
  });
}

export class SharedRoom {
  refs = 0;
  /** The since the room was joined with (the first component's). */
  readonly since: number | undefined;
  snapshot: RoomSnapshot = { state: "joining", error: undefined, recovered: undefined, presence: undefined, presenceError: undefined };
  readonly #client: AnyClient;
  readonly #room: string;
  readonly #listeners = new Set<Listener>();
  readonly #sub: Subscription | undefined;
  readonly #offState: () => void;
  #presenceWanted = 0;
  #presenceGen = 0;
  #pending: CloudEvent[] | undefined; // presence events while a presence fetch is in flight

  constructor(client: AnyClient, room: string, since: number | undefined) {
    this.since = since;
    this.#client = client;
    this.#room = room;
    // sb.close() ends a joined subscription without a callback.
    const off = client.on("state", (s) => s === "closed" && this.#sync());
    this.#offState = () => void off();
    let sub: Subscription | undefined;
    try {
      sub = client.subscribe(room, {
        ...(since === undefined ? {} : { since }),
        onEvent: (e, meta) => this.#event(e, meta),
        onRecovered: (r) => this.#joined(r),
        onError: (err) => this.#ended(err),
      }) as Subscription;
      sub.ready.catch(() => this.#sync()); // ended before the join (closed, refused)
    } catch (e) {
      // The room is subscribed outside the hooks (one subscription per room).
      this.#set({ state: "ended", error: asError(e, room, "subscribe") });
    }
    this.#sub = sub;
    this.#sync();
  }

  /** Adds a component; returns what removes it. */
  attach(l: Listener, presence: boolean): () => void {
    this.#listeners.add(l);
    // A list still kept current (its drop pending, see below) or being
    // fetched is used as it is.
    if (presence && this.#presenceWanted++ === 0 && this.snapshot.state === "joined" && this.snapshot.presence === undefined && this.#pending === undefined) this.#fetchPresence();
    return () => {
      this.#listeners.delete(l);
      // The list is dropped at the end of the commit, unless a component
      // wanted it again meanwhile (StrictMode's remount, a hand-over):
      // no flash of "unknown" and no second fetch.
      if (presence && --this.#presenceWanted === 0) {
        queueMicrotask(() => {
          if (this.#presenceWanted > 0) return;
          this.#presenceGen++;
          this.#pending = undefined;
          this.#set({ presence: undefined, presenceError: undefined });
        });
      }
    };
  }

  /** Leaves the room (nobody holds it any more). */
  close(): void {
    const map = rooms.get(this.#client);
    if (map?.get(this.#room) === this) map.delete(this.#room);
    this.#offState();
    this.#presenceGen++;
    this.#sub?.unsubscribe();
  }

  #sync(): void {
    const sub = this.#sub;
    if (!sub) return;
    const state = sub.state;
    if (state !== "ended") return this.#set({ state });
    const err = this.snapshot.error ?? sub.error ?? (this.#client.state === "closed" ? this.#client.error : undefined);
    this.#set({ state, error: err });
  }

  #joined(recovered: boolean): void {
    this.#set({ state: "joined", recovered, error: undefined });
    if (this.#presenceWanted > 0) this.#fetchPresence();
    this.#each((h) => h.onRecovered?.(recovered));
  }

  #ended(err: SwitchboardError): void {
    this.#presenceGen++;
    this.#set({ state: "ended", error: err, presence: undefined });
    this.#each((h) => h.onError?.(err));
  }

  #event(e: CloudEvent, meta: EventMeta): void {
    if (e.type === "presence.join" || e.type === "presence.leave") {
      this.#pending?.push(e);
      if (this.snapshot.presence) this.#set({ presence: applyPresence(this.snapshot.presence, e) });
    }
    // One pass, each component's onEvent then its typed handler: a
    // handler that throws does not keep the others from running.
    this.#each((h) => {
      try {
        h.onEvent?.(e, meta);
      } finally {
        const f = h.on?.[e.type] as ((data: unknown, event: CloudEvent) => void) | undefined;
        f?.(e.data, e);
      }
    });
  }

  /**
   * Calls every component's handler; one that throws does not stop the
   * others, and the first exception is rethrown for the subscription to
   * report as callback_failed.
   */
  #each(f: (h: ReturnType<Listener["handlers"]>) => void): void {
    let failed = false;
    let first: unknown;
    for (const l of [...this.#listeners]) {
      try {
        f(l.handlers());
      } catch (e) {
        if (!failed) first = e;
        failed = true;
      }
    }
    if (failed) throw first;
  }

  /**
   * The room's users (§8): the list answered by the node, then the
   * presence events that came while it was asked for (applying a join or a
   * leave twice changes nothing).
   */
  #fetchPresence(): void {
    const sub = this.#sub;
    if (!sub) return;
    const gen = ++this.#presenceGen;
    this.#pending = [];
    sub.presence().then(
      (users) => {
        if (gen !== this.#presenceGen) return;
        let list = [...users].sort(byUser);
        for (const e of this.#pending ?? []) list = applyPresence(list, e);
        this.#pending = undefined;
        this.#set({ presence: list, presenceError: undefined });
      },
      (e: unknown) => {
        if (gen !== this.#presenceGen) return;
        this.#pending = undefined;
        this.#set({ presenceError: asError(e, this.#room, "presence") });
      },
    );
  }

  #set(patch: Partial<RoomSnapshot>): void {
    const next = { ...this.snapshot, ...patch };
    const keys = Object.keys(patch) as (keyof RoomSnapshot)[];
    if (keys.every((k) => next[k] === this.snapshot[k])) return;
    this.snapshot = next;
    for (const l of [...this.#listeners]) l.notify();
  }
}

function byUser(a: PresenceData, b: PresenceData): number {
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

function applyPresence(list: PresenceData[], e: CloudEvent): PresenceData[] {
  const d = e.data as PresenceData | null;
  if (!d || typeof d.userId !== "string") return list;
  const rest = list.filter((u) => u.userId !== d.userId);
  if (e.type === "presence.leave") return rest.length === list.length ? list : rest;
  return [...rest, d].sort(byUser);
}

function asError(e: unknown, room: string, what: string): SwitchboardError {
  if (e instanceof SwitchboardError) return e;
  return new SwitchboardError("unavailable", `${what} ${room}: ${message(e)}`, { room, cause: e });
}
