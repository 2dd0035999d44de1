// The client against a real node, on both transports.
import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { Switchboard } from "../dist/index.js";
import { startNode, waitFor, collector, WebSocket } from "./node.mjs";

// Every test fails rather than hangs.
const test = (name, fn) => nodeTest(name, { timeout: 30_000 }, fn);

let node;
before(async () => {
  node = await startNode();
});
after(async () => {
  await node?.stop();
});

const client = (o) => new Switchboard({ url: node.url, WebSocket, backoff: { minMs: 50, maxMs: 500 }, ...o });

for (const transport of ["websocket", "sse"]) {
  test(`${transport}: join, receive events in order with seq, typed handlers, presence, unsubscribe`, async () => {
    const sb = client({ transport, token: node.token("u1", { workspaces: ["w1"] }) });
    try {
      const a = collector();
      const texts = [];
      const sub = sb.subscribe("workspace:w1", { onEvent: a.onEvent, on: { "demo.note": (d) => texts.push(d.text) } });
      await sub.ready;
      assert.equal(sub.state, "joined");
      assert.equal(typeof sub.seq, "number", "the join gives a position");
      const seqs = [];
      for (let i = 0; i < 3; i++) seqs.push((await node.publish(["workspace:w1"], "demo.note", { text: `n${i}` }))["workspace:w1"]);
      await waitFor("3 events", () => a.seqs().length === 3);
      assert.deepEqual(a.seqs(), seqs);
      assert.deepEqual(texts, ["n0", "n1", "n2"]);
      assert.equal(sub.seq, seqs[2]);

      // A second room joins the same connection (SSE: the stream is reopened
      // from the last seq; the first room sees no repeat and no gap).
      const b = collector();
      const sub2 = sb.subscribe("user:u1", { onEvent: b.onEvent });
      await sub2.ready;
      const users = await sub2.presence();
      assert.ok(users.some((u) => u.userId === "u1"), `u1 is present in user:u1: ${JSON.stringify(users)}`);

      sub.unsubscribe();
      assert.equal(sub.state, "ended");
      await node.publish(["workspace:w1"], "demo.note", { text: "after unsubscribe" });
      const last = (await node.publish(["user:u1"], "demo.note", { text: "barrier" }))["user:u1"];
      // Events of one connection arrive in seq order: once the barrier is
      // here, the event published before it to the left room would be too.
      await waitFor("the barrier event", () => b.seqs().includes(last));
      assert.deepEqual(a.seqs(), seqs, "nothing after unsubscribe, nothing twice");
      assert.equal(b.got.filter((e) => e.type === "demo.note").length, 1);
    } finally {
      sb.close();
    }
  });

  test(`${transport}: a forbidden room rejects ready with .code "forbidden"; other rooms stay joined`, async () => {
    const errors = [];
    const sb = client({ transport, token: node.token("u1"), onError: (e) => errors.push(e) });
    try {
      const ok = sb.subscribe("user:u1");
      await ok.ready;
      const bad = sb.subscribe("user:u2");
      await assert.rejects(bad.ready, (e) => e.code === "forbidden" && e.room === "user:u2" && /another user/.test(e.message));
      assert.equal(bad.state, "ended");
      const c = collector();
      const ok2 = sb.subscribe("workspace:none");
      await assert.rejects(ok2.ready, (e) => e.code === "forbidden");
      // user:u1 still receives.
      ok.on("demo.note", (d, ev) => c.got.push(d));
      await node.publish(["user:u1"], "demo.note", { text: "still here" });
      await waitFor("an event on the room left joined", () => c.got.length === 1);
      assert.ok(errors.some((e) => e.code === "forbidden"), "the error is reported to onError too");
      assert.equal(sb.state, "connected");
    } finally {
      sb.close();
    }
  });

  test(`${transport}: resumes every room after the node is killed and restarted, no gap, no duplicate`, async (t) => {
    const sb = client({ transport, token: () => node.token("u1", { workspaces: ["w1"] }) });
    const states = [];
    sb.on("state", (s) => states.push(s));
    try {
      const a = collector();
      const b = collector();
      const recovered = [];
      const s1 = sb.subscribe("workspace:w1", { onEvent: a.onEvent, onRecovered: (r) => recovered.push(r) });
      const s2 = sb.subscribe("user:u1", { onEvent: b.onEvent });
      await Promise.all([s1.ready, s2.ready]);
      const want = { a: [], b: [] };
      const pub = async (n) => {
        for (let i = 0; i < n; i++) {
          const s = await node.publish(["workspace:w1", "user:u1"], "demo.tick", { i });
          want.a.push(s["workspace:w1"]);
          want.b.push(s["user:u1"]);
        }
      };
      await pub(3);
      await waitFor("3 events before the restart", () => b.seqs().length === 3);
      const joins = recovered.length;
      const killed = performance.now();
      await node.restart();
      const started = performance.now();
      // Published while the client is still away (or reconnecting).
      await pub(3);
      await waitFor("6 events after the restart", () => a.seqs().length >= 6 && b.seqs().length >= 6, 20_000);
      const resumed = performance.now();
      t.diagnostic(`node down to up: ${(started - killed).toFixed(0)} ms; up to resumed (rejoined, 3 missed events delivered): ${(resumed - started).toFixed(0)} ms`);
      await pub(1);
      await waitFor("the live event after the resume", () => b.seqs().length >= 7);
      assert.deepEqual(a.seqs(), want.a);
      assert.deepEqual(b.seqs(), want.b);
      assert.ok(states.includes("disconnected"), `went down and came back: ${states}`);
      assert.ok(recovered.length > joins && recovered.every((r) => r === true), `rejoined, recovered: ${recovered}`);
    } finally {
      sb.close();
    }
  });
}

test("sse: one stream for all rooms, reopened from the highest seq seen when a room is added", async () => {
  const urls = [];
  const sb = client({
    transport: "sse",
    token: node.token("u7", { workspaces: ["w7", "w7b"] }),
    fetch: (url, init) => {
      if (url.includes("/v1/sse")) urls.push(new URL(url));
      return fetch(url, init);
    },
  });
  try {
    const a = collector();
    const b = collector();
    // Subscribed in the same tick: one stream for both rooms.
    const sa = sb.subscribe("workspace:w7", { onEvent: a.onEvent });
    const sbb = sb.subscribe("user:u7", { onEvent: b.onEvent });
    await Promise.all([sa.ready, sbb.ready]);
    assert.equal(urls.length, 1);
    assert.deepEqual(urls[0].searchParams.getAll("room"), ["workspace:w7", "user:u7"]);
    assert.equal(urls[0].searchParams.get("since"), null, "no position yet: the stream gives one");
    const want = [];
    for (let i = 0; i < 3; i++) want.push((await node.publish(["workspace:w7"], "demo.a", { i }))["workspace:w7"]);
    await waitFor("3 events", () => a.seqs().length === 3);
    // user:u7 had no event, but the stream delivered everything up to the
    // last seq for both rooms: the new stream resumes there.
    assert.equal(sbb.seq, want[2]);
    const c = collector();
    await sb.subscribe("workspace:w7b", { onEvent: c.onEvent }).ready;
    assert.equal(urls.length, 2);
    assert.equal(urls[1].searchParams.get("since"), String(want[2]));
    want.push((await node.publish(["workspace:w7"], "demo.a", { i: 3 }))["workspace:w7"]);
    await waitFor("the event after the reopen", () => a.seqs().length === 4);
    assert.deepEqual(a.seqs(), want);
  } finally {
    sb.close();
  }
});

test("since: a new subscription starts after the given seq", async () => {
  const seqs = [];
  for (let i = 0; i < 3; i++) seqs.push((await node.publish(["workspace:w9"], "demo.old", { i }))["workspace:w9"]);
  for (const transport of ["websocket", "sse"]) {
    const sb = client({ transport, token: node.token("u9", { workspaces: ["w9"] }) });
    try {
      const a = collector();
      const recovered = [];
      const sub = sb.subscribe("workspace:w9", { onEvent: a.onEvent, since: seqs[0], onRecovered: (r) => recovered.push(r) });
      await sub.ready;
      await waitFor(`${transport}: the 2 events after since`, () => a.seqs().length === 2);
      assert.deepEqual(a.seqs(), seqs.slice(1));
      assert.deepEqual(recovered, [true]);
    } finally {
      sb.close();
    }
  }
});

test("onRecovered(false) when history does not reach back to since (a seq beyond its end)", async () => {
  for (const transport of ["websocket", "sse"]) {
    const sb = client({ transport, token: node.token("u8") });
    try {
      const recovered = [];
      const sub = sb.subscribe("user:u8", { since: 1e12, onRecovered: (r) => recovered.push(r) });
      await sub.ready;
      assert.deepEqual(recovered, [false], transport);
    } finally {
      sb.close();
    }
  }
});

test("several URLs: a node that does not answer is skipped for the next one", async () => {
  const sb = client({ url: ["http://127.0.0.1:1", node.url], token: node.token("u1") });
  try {
    await sb.subscribe("user:u1").ready;
  } finally {
    sb.close();
  }
});

test("sse: the token is refreshed by reopening the stream from the last seq, no gap, no duplicate", async () => {
  let calls = 0;
  const sb = client({
    transport: "sse",
    token: () => {
      calls++;
      return node.token("u1", { ttl: "2s" });
    },
    refreshAt: 0.5,
  });
  try {
    const a = collector();
    await sb.subscribe("user:u1", { onEvent: a.onEvent }).ready;
    const want = [];
    while (calls < 4) want.push((await node.publish(["user:u1"], "demo.tick", {}))["user:u1"]);
    await waitFor("every event published across the refreshes", () => a.seqs().length >= want.length);
    assert.deepEqual(a.seqs(), want);
  } finally {
    sb.close();
  }
});

test("websocket: the token is refreshed before it expires, on the same connection", async () => {
  let calls = 0;
  const sb = client({
    transport: "websocket",
    token: () => {
      calls++;
      return node.token("u1", { ttl: "2s" });
    },
    refreshAt: 0.5,
  });
  const states = [];
  sb.on("state", (s) => states.push(s));
  try {
    const a = collector();
    const sub = sb.subscribe("user:u1", { onEvent: a.onEvent });
    await sub.ready;
    // Past the first token's exp (2 s) and the second's: still connected.
    await waitFor("three refreshes", () => calls >= 4, 10_000);
    await node.publish(["user:u1"], "demo.late", {});
    await waitFor("an event after the first tokens expired", () => a.got.some((e) => e.type === "demo.late"));
    assert.deepEqual(states, ["connecting", "connected"], "never reconnected");
  } finally {
    sb.close();
  }
});

test("websocket: a refreshed token without the workspace revokes the room; it ends with forbidden and is not rejoined", async () => {
  let calls = 0;
  const sb = client({
    transport: "websocket",
    token: () => node.token("u1", { ttl: "2s", workspaces: ++calls === 1 ? ["w1"] : [] }),
    refreshAt: 0.3,
  });
  const reported = [];
  sb.on("error", (e) => reported.push(e));
  try {
    const ended = new Promise((res) => {
      const sub = sb.subscribe("workspace:w1", { onError: res });
      sub.ready.then(() => {});
    });
    const err = await ended;
    assert.equal(err.code, "forbidden");
    assert.match(err.message, /revoked: token refreshed/);
    assert.equal(sb.state, "connected");
    assert.deepEqual(reported.map((e) => e.code), ["forbidden"]);
  } finally {
    sb.close();
  }
});

test("a failing token getter stops the client with code token_failed", async () => {
  const errors = [];
  const sb = client({
    token: () => {
      throw new Error("login service down");
    },
  });
  sb.on("error", (e) => errors.push(e));
  const sub = sb.subscribe("user:u1");
  await assert.rejects(sub.ready, (e) => e.code === "token_failed" && /login service down/.test(e.message));
  assert.equal(sb.state, "closed");
  assert.equal(errors.length, 1);
  assert.equal(sb.error.code, "token_failed");
});

test("a fixed token that expires ends the client with token_expired instead of retrying", async () => {
  const sb = client({ token: node.token("u1", { ttl: "2s" }) });
  const errs = [];
  sb.on("error", (e) => errs.push(e));
  const sub = sb.subscribe("user:u1", { onError: () => {} });
  await sub.ready;
  await waitFor("the client to stop", () => sb.state === "closed", 10_000);
  assert.ok(["token_expired", "unauthorized"].includes(sb.error.code), sb.error.message);
  assert.equal(sub.state, "ended");
});
