/**
 * @switchboard-rt/client/react: React (18+) bindings of the client.
 *
 *   <SwitchboardProvider client={sb}> … </SwitchboardProvider>
 *   const { state, connection, error, recovered, presence } = useRoom<PMEventMap>("project:p1", {
 *     on: { "pm.task.created": (task) => addCard(task) },
 *     onRecovered: (recovered) => recovered || reload(),
 *   });
 *
 * Written without JSX (createElement) so the package builds with plain tsc.
 * The core entry does not import this file: non-React users do not load React.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useSyncExternalStore, type ReactElement, type ReactNode } from "react";
import type { Switchboard } from "./client.js";
import type { SwitchboardError } from "./errors.js";
import { acquire, release, shared, type RoomSnapshot } from "./react-room.js";
import type { ConnectionState, EventMap, PresenceData, SubscribeOptions, SubscriptionState } from "./types.js";

// The context holds a client of any event map; useSwitchboard<M> and
// useRoom<M> say which one the caller expects.
type AnyClient = Switchboard<any>;

const SwitchboardContext = createContext<AnyClient | null>(null);
SwitchboardContext.displayName = "SwitchboardContext";

export interface SwitchboardProviderProps<M extends object = EventMap> {
  /** The client the hooks below use; create it once (outside the component, or in a ref). */
  client: Switchboard<M>;
  children?: ReactNode;
}

/** Makes `client` the one useSwitchboard, useRoom and useConnectionState use below it. */
export function SwitchboardProvider<M extends object = EventMap>(props: SwitchboardProviderProps<M>): ReactElement {
  return createElement(SwitchboardContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest SwitchboardProvider; throws when there is none. */
export function useSwitchboard<M extends object = EventMap>(): Switchboard<M> {
  return useClient(undefined) as Switchboard<M>;
}

function useClient(given: AnyClient | undefined): AnyClient {
  const fromContext = useContext(SwitchboardContext);
  const client = given ?? fromContext;
  if (!client) throw new Error("@switchboard-rt/client/react: no Switchboard client: render inside <SwitchboardProvider client={…}> or pass { client } to the hook");
  return client;
}

/**
 * The client's connection state ("idle", "connecting", "connected",
 * "disconnected", "closed"), re-rendering when it changes.
 */
export function useConnectionState(client?: Switchboard<object>): ConnectionState {
  const c = useClient(client);
  const subscribe = useCallback(
    (notify: () => void) => {
      const off = c.on("state", notify);
      return () => void off();
    },
    [c],
  );
  const get = (): ConnectionState => c.state;
  // On a server, and while hydrating, nothing is connected yet.
  return useSyncExternalStore(subscribe, get, serverConnection);
}

const serverConnection = (): ConnectionState => "idle";

/** What useRoom calls; each may be a new function on every render (the latest is called). */
export type RoomHandlers<M extends object = EventMap> = Pick<SubscribeOptions<M>, "onEvent" | "onRecovered" | "onError" | "on">;

export interface UseRoomOptions<M extends object = EventMap> {
  /** The client (default: the SwitchboardProvider's). */
  client?: Switchboard<M>;
  /** Start after this seq; read when the room is joined (the first component to join a room decides). */
  since?: number;
  /** Keep `presence` up to date: the room's users, fetched on every (re)join, then changed by presence.join / presence.leave (§8). */
  presence?: boolean;
}

export interface RoomState {
  /** "idle" while room is null; then "joining", "joined" (also while reconnecting: see connection), or "ended". */
  state: SubscriptionState | "idle";
  /** The client's connection state. */
  connection: ConnectionState;
  /** Why the subscription ended (forbidden, revoked, the client stopped). */
  error: SwitchboardError | undefined;
  /** The last (re)join's recovered: false means events were missed; reload what you show. */
  recovered: boolean | undefined;
  /** With { presence: true }: the users in the room, sorted by userId; undefined until first fetched. */
  presence: PresenceData[] | undefined;
  /** With { presence: true }: why the last presence fetch failed (it is tried again on the next rejoin). */
  presenceError: SwitchboardError | undefined;
}

const idle: RoomSnapshot = Object.freeze({ state: "idle", error: undefined, recovered: undefined, presence: undefined, presenceError: undefined });
const joining: RoomSnapshot = Object.freeze({ ...idle, state: "joining" });

// useLayoutEffect warns when rendered on a server (React 18); there is no layout there anyway.
const useIsomorphicLayoutEffect = typeof document !== "undefined" ? useLayoutEffect : useEffect;

/**
 * Joins `room` while the component is mounted (null: no room) and returns
 * its state. Handlers may change on every render without rejoining; a new
 * `room` leaves the old one and joins the new one.
 *
 * Components using the same room share one subscription (the client allows
 * one per room): the room is left when the last of them unmounts, after the
 * commit, so that StrictMode's mount → unmount → mount joins once. A
 * component that mounts after the join gets the events from then on and
 * reads the last join's `recovered` from the state.
 */
export function useRoom<M extends object = EventMap>(room: string | null | undefined, handlers: RoomHandlers<M> = {}, options: UseRoomOptions<M> = {}): RoomState {
  const client = useClient(options.client);
  // The handlers of the latest render, with the room they were rendered
  // for: between a room change's commit and the old room's cleanup, the
  // old room's events must not reach the new room's handlers.
  const latest = useRef({ room, handlers });
  useIsomorphicLayoutEffect(() => {
    latest.current = { room, handlers };
  });
  const since = useRef(options.since);
  since.current = options.since;
  const wantPresence = options.presence === true;

  // The join is the store's subscription: React runs it after the commit,
  // cleans it up on unmount and when room or client change, and StrictMode
  // runs it twice (the leave waits for the end of the commit, see release).
  const subscribe = useCallback(
    (notify: () => void) => {
      if (room == null) return () => {};
      const entry = acquire(client, room, since.current);
      const detach = entry.attach({ handlers: () => (latest.current.room === room ? (latest.current.handlers as RoomHandlers) : {}), notify }, wantPresence);
      return () => {
        detach();
        release(entry);
      };
    },
    [client, room, wantPresence],
  );
  const get = (): RoomSnapshot => (room == null ? idle : (shared(client, room)?.snapshot ?? joining));
  const snap = useSyncExternalStore(subscribe, get, () => (room == null ? idle : joining));
  const connection = useConnectionState(client);
  return useMemo(
    () => ({ state: snap.state, connection, error: snap.error, recovered: snap.recovered, presence: snap.presence, presenceError: snap.presenceError }),
    [snap, connection],
  );
}
