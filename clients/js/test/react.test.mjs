// The React hooks (@switchboard-rt/client/react) rendering real components
// (react-dom, happy-dom) against a real node.
import "./dom.mjs";
import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { createElement as h, StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
// Through the package's exports map, as an application imports them.
import { Switchboard } from "@switchboard-rt/client";
import { SwitchboardProvider, useConnectionState, useRoom, useSwitchboard } from "@switchboard-rt/client/react";
import { startNode, waitFor, WebSocket } from "./node.mjs";

const test = (name, fn) => nodeTest(name, { timeout: 30_000 }, fn);

let node;
before(async () => {
  node = await startNode();
});
after(async () => {
  await node?.stop();
});

/** A client whose WebSocket frames sent and SSE streams opened are recorded. */
function client(transport, token, o = {}) {
  const sent = [];
  const streams = [];
  class SpyWebSocket extends WebSocket {
    send(data, ...rest) {
      sent.push(JSON.parse(data));
      return super.send(data, ...rest);
    }
  }
  const sb = new Switchboard({
    url: node.url,
    token,
    transport,
    WebSocket: SpyWebSocket,
    fetch: (url, init) => {
      if (url.includes("/v1/sse")) streams.push(new URL(url));
      return fetch(url, init);
    },
    backoff: { minMs: 50, maxMs: 500 },
    ...o,
  });
  const frames = (op, room) => sent.filter((f) => f.op === op && (room === undefined || f.room === room)).length;
  return { sb, sent, streams, frames };
}

/** Renders element into a new container; view(id) parses what <Room id> shows. */
function mount(element, options) {
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container, options);
  root.render(element);
  return {
    container,
    render: (el) => root.render(el),
    view(id = "room") {
      const el = container.querySelector(`#${id}`);
      return el ? JSON.parse(el.textContent) : undefined;
    },
    unmount() {
      root.unmount();
      container.remove();
    },
  };
}

/**
 * A component using useRoom with handlers that are new functions on every
 * render and record which render they belong to; it shows the room's state.
 */
function Room({ id = "room", room, log, presence = false, expose }) {
  const [n, setN] = useState(0);
  if (expose) expose.rerender = setN;
  const r = useRoom(
    room,
    {
      onEvent: (e, meta) => log.events.push({ render: n, type: e.type, seq: meta.seq, room: meta.room }),
      onRecovered: (rec) => log.recovered.push(rec),
      onError: (err) => log.errors.push(err),
      on: { "demo.note": (d) => log.notes.push(d.text) },
    },
    { presence },
  );
  const view = {
    n,
    room,
    state: r.state,
    connection: r.connection,
    error: r.error?.code,
    recovered: r.recovered,
    presence: r.presence?.map((u) => u.userId),
  };
  return h("pre", { id }, JSON.stringify(view));
}

const newLog = () => ({ events: [], recovered: [], errors: [], notes: [] });
const notes = (log) => log.events.filter((e) => e.type === "demo.note");

for (const transport of ["websocket", "sse"]) {
  test(`${transport}: StrictMode mounts twice but joins once; each event is handled once; new handlers on a re-render do not rejoin`, async () => {
    const c = client(transport, node.token("u1", { workspaces: ["w1"] }));
    // Connected first: a join made before the connection opens is only
    // sent when it opens, which would hide a join + leave + join.
    await c.sb.subscribe("user:u1").ready;
    const streams = c.streams.length;
    const log = newLog();
    const expose = {};
    const ui = mount(h(StrictMode, null, h(SwitchboardProvider, { client: c.sb }, h(Room, { room: "workspace:w1", log, expose }))));
    try {
      await waitFor("the room joined", () => ui.view()?.state === "joined");
      assert.equal(ui.view().connection, "connected");
      assert.equal(ui.view().recovered, true);
      const seqs = [];
      for (const text of ["a", "b"]) seqs.push((await node.publish(["workspace:w1"], "demo.note", { text }))["workspace:w1"]);
      await waitFor("2 events", () => notes(log).length === 2);

      // A re-render: every handler is a new function; the latest is called.
      expose.rerender(1);
      await waitFor("the re-render", () => ui.view().n === 1);
      for (const text of ["c", "d"]) seqs.push((await node.publish(["workspace:w1"], "demo.note", { text }))["workspace:w1"]);
      await waitFor("4 events", () => notes(log).length >= 4);
      // The connection delivers in seq order: a barrier after the last
      // event shows that nothing came twice.
      const barrier = (await node.publish(["workspace:w1"], "demo.barrier", {}))["workspace:w1"];
      await waitFor("the barrier", () => log.events.some((e) => e.seq === barrier));

      assert.deepEqual(notes(log).map((e) => e.seq), seqs, "each event once, in order");
      assert.deepEqual(notes(log).map((e) => e.render), [0, 0, 1, 1], "the handlers of the latest render");
      assert.deepEqual(log.notes, ["a", "b", "c", "d"], "typed handlers (on) too");
      assert.deepEqual(log.recovered, [true], "joined once");
      if (transport === "websocket") {
        assert.equal(c.frames("join", "workspace:w1"), 1, `one join on the wire: ${JSON.stringify(c.sent)}`);
        assert.equal(c.frames("leave"), 0, "no leave");
      } else {
        assert.equal(c.streams.length, streams + 1, `one more stream: ${c.streams.join(" ")}`);
      }
    } finally {
      ui.unmount();
      c.sb.close();
    }
  });
}

test("unmount leaves the room: the node tells the others presence.leave and no longer lists the user", async () => {
  const watcher = new Switchboard({ url: node.url, token: node.token("u1", { workspaces: ["w2"] }), WebSocket });
  const c = client("websocket", node.token("u2", { workspaces: ["w2"] }));
  const seen = [];
  try {
    const w = watcher.subscribe("workspace:w2", {
      on: {
        "presence.join": (d) => seen.push(`join ${d.userId}`),
        "presence.leave": (d) => seen.push(`leave ${d.userId}`),
      },
    });
    await w.ready;
    const log = newLog();
    const ui = mount(h(StrictMode, null, h(SwitchboardProvider, { client: c.sb }, h(Room, { room: "workspace:w2", log }))));
    await waitFor("the room joined", () => ui.view()?.state === "joined");
    await waitFor("u2's presence.join", () => seen.includes("join u2"));
    ui.unmount();
    await waitFor("u2's presence.leave", () => seen.includes("leave u2"));
    assert.deepEqual(seen.filter((s) => s.endsWith("u2")), ["join u2", "leave u2"], "joined once, left once");
    assert.deepEqual((await w.presence()).map((u) => u.userId), ["u1"]);
    assert.equal(c.frames("leave", "workspace:w2"), 1);
    assert.equal(c.sb.state, "connected", "the connection stays for the next room");
  } finally {
    c.sb.close();
    watcher.close();
  }
});

test("a new room leaves the old one and joins the new one; only the new room's events are handled", async () => {
  const c = client("websocket", node.token("u1", { workspaces: ["w1", "w3"] }));
  const log = newLog();
  let setRoom;
  function Switcher() {
    const [room, set] = useState("workspace:w1");
    setRoom = set;
    return h(Room, { room, log });
  }
  const ui = mount(h(StrictMode, null, h(SwitchboardProvider, { client: c.sb }, h(Switcher))));
  try {
    await waitFor("w1 joined", () => ui.view()?.state === "joined");
    const s1 = (await node.publish(["workspace:w1"], "demo.note", { text: "w1" }))["workspace:w1"];
    await waitFor("the w1 event", () => log.notes.includes("w1"));
    setRoom("workspace:w3");
    await waitFor("w3 joined", () => ui.view().room === "workspace:w3" && ui.view().state === "joined");
    await node.publish(["workspace:w1"], "demo.note", { text: "w1 after" });
    const s3 = (await node.publish(["workspace:w3"], "demo.note", { text: "w3" }))["workspace:w3"];
    await waitFor("the w3 event", () => log.notes.includes("w3"));
    assert.deepEqual(
      notes(log).map((e) => [e.room, e.seq]),
      [
        ["workspace:w1", s1],
        ["workspace:w3", s3],
      ],
    );
    assert.equal(c.frames("join", "workspace:w1"), 1);
    assert.equal(c.frames("leave", "workspace:w1"), 1);
    assert.equal(c.frames("join", "workspace:w3"), 1);
    assert.deepEqual(log.recovered, [true, true]);
    // null: no room.
    setRoom(null);
    await waitFor("idle", () => ui.view().state === "idle");
    await waitFor("w3 left", () => c.frames("leave", "workspace:w3") === 1);
  } finally {
    ui.unmount();
    c.sb.close();
  }
});

test("components using the same room share one join; the room is left when the last one unmounts", async () => {
  const c = client("websocket", node.token("u1", { workspaces: ["w1"] }));
  const a = newLog();
  const b = newLog();
  let showB;
  function Two() {
    const [both, set] = useState(true);
    showB = set;
    return h("div", null, h(Room, { id: "a", room: "workspace:w1", log: a }), both ? h(Room, { id: "b", room: "workspace:w1", log: b }) : null);
  }
  const ui = mount(h(SwitchboardProvider, { client: c.sb }, h(Two)));
  try {
    await waitFor("both joined", () => ui.view("a")?.state === "joined" && ui.view("b")?.state === "joined");
    await node.publish(["workspace:w1"], "demo.note", { text: "1" });
    await waitFor("the event in both", () => a.notes.length === 1 && b.notes.length === 1);
    showB(false);
    await waitFor("b unmounted", () => ui.view("b") === undefined);
    await node.publish(["workspace:w1"], "demo.note", { text: "2" });
    await waitFor("the event in a", () => a.notes.length === 2);
    assert.deepEqual(b.notes, ["1"], "an unmounted component gets nothing");
    assert.equal(c.frames("join", "workspace:w1"), 1);
    assert.equal(c.frames("leave", "workspace:w1"), 0, "a still holds the room");
    ui.unmount();
    await waitFor("the room left", () => c.frames("leave", "workspace:w1") === 1);
  } finally {
    c.sb.close();
  }
});

test("a component whose onEvent throws keeps no other component's handlers, typed or not, from running", async () => {
  const c = client("websocket", node.token("u1", { workspaces: ["w1"] }));
  const reported = [];
  c.sb.on("error", (err) => reported.push(err.code));
  const b = newLog();
  function Thrower() {
    useRoom("workspace:w1", {
      onEvent: () => {
        throw new Error("a bug in a handler");
      },
    });
    return null;
  }
  const ui = mount(h(SwitchboardProvider, { client: c.sb }, h("div", null, h(Thrower), h(Room, { id: "b", room: "workspace:w1", log: b }))));
  try {
    await waitFor("b joined", () => ui.view("b")?.state === "joined");
    await node.publish(["workspace:w1"], "demo.note", { text: "1" });
    await waitFor("the event in b", () => b.notes.length === 1 && notes(b).length === 1);
    assert.deepEqual(b.notes, ["1"], "b's typed handler ran");
    await waitFor("the throw reported", () => reported.includes("callback_failed"));
  } finally {
    ui.unmount();
    c.sb.close();
  }
});

test("presence: the room's users, then who joins and leaves", async () => {
  const first = new Switchboard({ url: node.url, token: node.token("u1", { workspaces: ["w4"] }), WebSocket });
  const c = client("websocket", node.token("u2", { workspaces: ["w4"] }));
  let third;
  const ui = mount(h(SwitchboardProvider, { client: c.sb }, h(Room, { room: "workspace:w4", log: newLog(), presence: true })));
  try {
    await first.subscribe("workspace:w4").ready;
    await waitFor("u1 and u2 listed", () => ui.view()?.presence?.join() === "u1,u2");
    third = new Switchboard({ url: node.url, token: node.token("u3", { workspaces: ["w4"] }), WebSocket });
    await third.subscribe("workspace:w4").ready;
    await waitFor("u3 joined", () => ui.view().presence.join() === "u1,u2,u3");
    third.close();
    await waitFor("u3 left", () => ui.view().presence.join() === "u1,u2");
  } finally {
    ui.unmount();
    c.sb.close();
    first.close();
    third?.close();
  }
});

test("StrictMode: presence asked for in an already joined room is fetched once and never drops", async () => {
  let fetches = 0;
  const c = client("websocket", node.token("u1", { workspaces: ["w5"] }), {
    fetch: (url, init) => {
      if (String(url).includes("/presence")) fetches++;
      return fetch(url, init);
    },
  });
  const seen = [];
  function Watch() {
    const r = useRoom("workspace:w5", {}, { presence: true });
    seen.push(r.presence === undefined ? "none" : r.presence.map((u) => u.userId).join());
    return null;
  }
  let showWatch;
  function App() {
    const [on, set] = useState(false);
    showWatch = set;
    return h("div", null, h(Room, { id: "a", room: "workspace:w5", log: newLog() }), on ? h(StrictMode, null, h(Watch)) : null);
  }
  const ui = mount(h(SwitchboardProvider, { client: c.sb }, h(App)));
  try {
    await waitFor("the room joined", () => ui.view("a")?.state === "joined");
    showWatch(true);
    await waitFor("the presence list", () => seen.at(-1) === "u1");
    const first = seen.indexOf("u1");
    assert.deepEqual(seen.slice(first).filter((v) => v !== "u1"), [], `once shown, the list stays: ${seen.join(" | ")}`);
    assert.equal(fetches, 1, "one GET of the room's presence");
  } finally {
    ui.unmount();
    c.sb.close();
  }
});

test("a forbidden room ends with the error, in the state and to onError", async () => {
  const reported = [];
  const c = client("websocket", node.token("u1"), { onError: (e) => reported.push(e.code) });
  const log = newLog();
  const ui = mount(h(SwitchboardProvider, { client: c.sb }, h(Room, { room: "workspace:nope", log })));
  try {
    await waitFor("the room ended", () => ui.view()?.state === "ended");
    assert.equal(ui.view().error, "forbidden");
    assert.deepEqual(log.errors.map((e) => e.code), ["forbidden"]);
    assert.deepEqual(reported, ["forbidden"], "and to the client's onError");
    assert.equal(ui.view().connection, "connected");
  } finally {
    ui.unmount();
    c.sb.close();
  }
});

test("without a provider or a client option the hooks throw, saying what to do", async () => {
  let caught;
  function Lost() {
    useSwitchboard();
    return null;
  }
  const ui = mount(h(Lost), { onUncaughtError: (e) => (caught = e) });
  try {
    await waitFor("the render error", () => caught !== undefined);
    assert.match(caught.message, /no Switchboard client: render inside <SwitchboardProvider/);
  } finally {
    ui.unmount();
  }
});

test("connection state: disconnected while the node restarts, connected and rejoined after, closed with sb.close()", async () => {
  const c = client("websocket", () => node.token("u1", { workspaces: ["w1"] }));
  const log = newLog();
  const seen = [];
  function Status() {
    const s = useConnectionState();
    if (seen.at(-1) !== s) seen.push(s);
    return h("pre", { id: "conn" }, JSON.stringify(s));
  }
  const ui = mount(h(SwitchboardProvider, { client: c.sb }, h(Status), h(Room, { room: "workspace:w1", log })));
  try {
    await waitFor("joined", () => ui.view()?.state === "joined" && ui.view("conn") === "connected");
    await node.restart();
    await waitFor("rejoined", () => log.recovered.length === 2 && ui.view("conn") === "connected", 20_000);
    assert.ok(seen.includes("disconnected"), `went down and came back: ${seen}`);
    assert.deepEqual(log.recovered, [true, true]);
    assert.equal(ui.view().connection, "connected");
    c.sb.close();
    await waitFor("closed", () => ui.view("conn") === "closed" && ui.view().state === "ended");
    assert.equal(ui.view().error, undefined, "closed by the app: no error");
  } finally {
    ui.unmount();
    c.sb.close();
  }
});
