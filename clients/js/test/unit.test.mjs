// Pure parts of the client, without a node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff } from "../dist/backoff.js";
import { SseParser } from "../dist/sse-parse.js";
import { jwtTimes, TokenSource } from "../dist/token.js";
import { Subscription } from "../dist/subscription.js";
import { closeRetries } from "../dist/errors.js";

test("backoff: jittered between half and all of each step, doubling up to the cap, reset", () => {
  const b = new Backoff({ minMs: 100, maxMs: 1000 });
  const steps = [100, 200, 400, 800, 1000, 1000];
  for (const s of steps) {
    const d = b.next();
    assert.ok(d >= s / 2 && d <= s, `${d} within [${s / 2}, ${s}]`);
  }
  b.reset();
  assert.ok(b.next() <= 100);
});

test("sse parser: blocks split anywhere across chunks, comments, multi-line data, CRLF", () => {
  const stream = "retry: 2000\n\nid: 41\n\n: keepalive\n\nid: 42\nevent: demo.x\ndata: {\"a\":1}\ndata: 2\r\n\r\nevent: recovery\ndata: {}\n\n";
  for (let cut = 0; cut <= stream.length; cut++) {
    const p = new SseParser();
    const blocks = [...p.push(stream.slice(0, cut)), ...p.push(stream.slice(cut))];
    assert.deepEqual(blocks, [
      { event: "", data: "", id: undefined, retry: 2000 },
      { event: "", data: "", id: "41", retry: undefined },
      { event: "demo.x", data: '{"a":1}\n2', id: "42", retry: undefined },
      { event: "recovery", data: "{}", id: undefined, retry: undefined },
    ], `cut at ${cut}`);
  }
});

test("sse parser: CRLF line ends split between CR and LF", () => {
  const stream = "id: 42\r\nevent: demo.x\r\ndata: 1\r\n\r\n";
  for (let cut = 0; cut <= stream.length; cut++) {
    const p = new SseParser();
    const blocks = [...p.push(stream.slice(0, cut)), ...p.push(stream.slice(cut))];
    assert.deepEqual(blocks, [{ event: "demo.x", data: "1", id: "42", retry: undefined }], `cut at ${cut}`);
  }
});

test("jwt times are read without verifying; a token is refreshed at the given fraction of its lifetime", async () => {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const tok = `${b64({ alg: "HS256" })}.${b64({ sub: "u1", iat: now, exp: now + 100 })}.sig`;
  assert.deepEqual(jwtTimes(tok), { iat: now, exp: now + 100 });
  assert.deepEqual(jwtTimes("not a jwt"), {});
  const ts = new TokenSource(async () => tok);
  assert.equal(await ts.get(false), tok);
  const ms = ts.refreshIn(0.8);
  assert.ok(ms > 78_000 && ms <= 80_000, `${ms}`);
  await assert.rejects(new TokenSource(async () => "").get(true), (e) => e.code === "token_failed");
});

test("subscription: drops events before the join and repeated seqs; a throwing handler is reported, not fatal", () => {
  const reported = [];
  const host = { leave() {}, presence: async () => [], report: (e) => reported.push(e) };
  const got = [];
  const sub = new Subscription(host, "user:u1", {
    since: 10,
    onEvent: (ev, meta) => got.push(meta.seq),
    on: { boom: () => { throw new Error("kaput"); } },
  });
  const ev = (type = "x") => ({ specversion: "1.0", id: "1", source: "s", type, time: "", data: {} });
  sub.deliver(ev(), 11); // before the join's ok: not for this join
  sub.joined(true);
  for (const s of [9, 10, 11, 11, 13, 12]) sub.deliver(ev(), s);
  sub.deliver(ev("boom"), 14);
  assert.deepEqual(got, [11, 13, 14]);
  assert.equal(sub.seq, 14);
  assert.equal(reported.length, 1);
  assert.equal(reported[0].code, "callback_failed");
});

test("close codes that are not retried: 1000, 1002, 1007, 1009 (PROTOCOL §3.6)", () => {
  for (const c of [1000, 1002, 1007, 1009]) assert.equal(closeRetries(c), false, String(c));
  for (const c of [1001, 1006, 1008, 1011, 4001]) assert.equal(closeRetries(c), true, String(c));
});
