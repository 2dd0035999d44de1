// Compile-time tests of the public types (make test runs tsc on this file;
// every @ts-expect-error must be an error, or tsc fails).
import { Switchboard, SwitchboardError, type CloudEvent, type ErrorCode } from "../src/index.js";

interface PMEvents {
  "pm.task.created": { id: string; projectId: string; title: string };
  "pm.task.deleted": { id: string };
}

const sb = new Switchboard<PMEvents>({ url: "http://localhost:8080", token: async () => "jwt", transport: "sse" });
const sub = sb.subscribe("project:p1", {
  since: 41,
  onEvent(event: CloudEvent, meta) {
    const seq: number | undefined = meta.seq;
    void seq;
    void event.type;
  },
  onRecovered(recovered: boolean) {
    void recovered;
  },
  on: {
    "pm.task.deleted": (d) => void d.id,
  },
});
sub.on("pm.task.created", (data, event) => {
  const title: string = data.title;
  const t: "pm.task.created" = event.type;
  void title;
  void t;
  // @ts-expect-error: not a field of the payload
  void data.nope;
});
sub.on("presence.join", (d) => void d.userId.toUpperCase());
sub.on("access.revoked", (d) => void d.reason.length);
// @ts-expect-error: not in the event map
sub.on("pm.task.unknown", () => {});

// Without a map every type is accepted and data is unknown.
const loose = new Switchboard({ url: ["http://a", "http://b"], token: "jwt" });
loose.subscribe("user:u1").on("anything", (data) => {
  // @ts-expect-error: data is unknown
  void data.x;
});

sub.ready.catch((e: unknown) => {
  if (e instanceof SwitchboardError) {
    const c: ErrorCode = e.code;
    void c;
  }
});
sb.on("error", (e) => void e.code);
sb.on("state", (s) => void (s === "connected"));
sub.unsubscribe();
sb.close();
// @ts-expect-error: the transport is checked
new Switchboard({ url: "x", token: "t", transport: "ws" });

// The bundled PM plugins' payloads, generated from the catalogue.
import type { PMEventMap, pm } from "../src/index.js";
const board = new Switchboard<PMEventMap>({ url: "http://localhost:8080", token: "jwt" });
board.subscribe("project:p1").on("pm.task.status_changed", (d) => {
  const to: "todo" | "in_progress" | "done" = d.to;
  void to;
  // @ts-expect-error: status values are a closed set
  const n: number = d.to;
  void n;
});
const created: pm.PmTaskCreated["phaseId"] = null;
void created;

// The React hooks (@switchboard-rt/client/react): useRoom<M> types payloads
// like sub.on. Called outside a component here: only the types are checked.
import { SwitchboardProvider, useConnectionState, useRoom, useSwitchboard, type RoomState } from "../src/react.js";
import type { ConnectionState, PresenceData, SubscriptionState } from "../src/index.js";
function useBoard(projectId: string | null): RoomState {
  const r = useRoom<PMEventMap>(projectId && `project:${projectId}`, {
    on: {
      "pm.task.status_changed": (d, event) => {
        const to: "todo" | "in_progress" | "done" = d.to;
        const t: "pm.task.status_changed" = event.type;
        void to;
        void t;
        // @ts-expect-error: not a field of the payload
        void d.nope;
      },
      "presence.join": (p) => void p.userId,
      // @ts-expect-error: not in the event map
      "pm.task.unknown": () => {},
    },
    onEvent: (event, meta) => void [event.type, meta.seq],
    onRecovered: (recovered) => void (recovered || location.reload()),
    onError: (err) => void err.code,
  }, { presence: true, since: 41, client: board });
  const s: SubscriptionState | "idle" = r.state;
  const c: ConnectionState = r.connection;
  const users: PresenceData[] | undefined = r.presence;
  const code: ErrorCode | undefined = r.error?.code;
  void [s, c, users, code, r.recovered];
  return r;
}
void useBoard;
// The client from the provider: typed by the caller.
const fromContext: Switchboard<PMEventMap> = useSwitchboard<PMEventMap>();
void fromContext;
const conn: ConnectionState = useConnectionState();
void conn;
SwitchboardProvider({ client: board, children: null });
// Without a map: any type, data unknown.
useRoom("user:u1", {
  on: {
    anything: (data) => {
      // @ts-expect-error: data is unknown
      void data.x;
    },
  },
});
