// Test harness: a real Switchboard node (bin/switchboard serve) on a
// random port with a temp data dir, tokens minted by `switchboard token`,
// events published through POST /v1/publish.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";

export { WebSocket };
export const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const bin = process.env.SWITCHBOARD_BIN || join(root, "bin", "switchboard");
export const apiKey = "test-api-key";

// The test runner ends a file's process with a signal on timeout or Ctrl-C:
// exit so that the "exit" handlers below stop the nodes.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.once(sig, () => process.exit(1));

if (!existsSync(bin)) {
  throw new Error(`${bin} is missing: build it first with \`go build -o bin/switchboard ./cmd/switchboard\` in ${root} (make test-js does)`);
}

/** Starts a node; restart() stops it (SIGKILL) and starts it again on the same data dir and address. */
export async function startNode() {
  const dir = mkdtempSync(join(tmpdir(), "sb-js-test-"));
  const config = join(dir, "config.hcl");
  const write = (listen) =>
    writeFileSync(
      config,
      `server {\n  listen = "${listen}"\n  data_dir = "${join(dir, "data")}"\n  allowed_origins = ["*"]\n}\n` +
        `transport "ws" {}\ntransport "sse" {\n  retry = "100ms"\n}\n` +
        // Rooms joined on connect: the client opts out (autojoin=0) and must work the same.
        `hub {\n  auto_join = ["user", "workspace"]\n}\n` +
        `auth {\n  jwt_secret = "js-client-test-secret-0123456789abcdef"\n  api_keys = ["${apiKey}"]\n  token_ttl = "1h"\n}\n`,
    );
  write("127.0.0.1:0");
  const node = { dir, config, proc: undefined, addr: undefined, url: undefined, log: "" };
  node.start = async () => {
    const proc = spawn(bin, ["serve", "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
    node.proc = proc;
    // The node must not outlive this test process, however it ends.
    const reap = () => proc.exitCode === null && proc.signalCode === null && proc.kill("SIGKILL");
    process.once("exit", reap);
    proc.once("exit", () => process.off("exit", reap));
    node.addr = await new Promise((res, rej) => {
      let buf = "";
      const timer = setTimeout(() => rej(new Error(`switchboard serve printed no listening address in 15s:\n${buf}`)), 15_000);
      proc.stderr.setEncoding("utf8");
      proc.stderr.on("data", (d) => {
        buf += d;
        node.log += d;
        const m = /msg=listening addr=(\S+)/.exec(buf);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
      proc.on("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`switchboard serve exited with ${code}:\n${buf}`));
      });
    });
    node.url = `http://${node.addr}`;
    // The next start keeps the address: clients reconnect to the same URL.
    write(node.addr);
  };
  node.kill = async (signal = "SIGKILL") => {
    const p = node.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((res) => p.once("exit", res));
    p.kill(signal);
    await exited;
  };
  node.restart = async () => {
    await node.kill("SIGKILL");
    await node.start();
  };
  node.stop = async () => {
    await node.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  node.token = (sub, { ttl = "1h", workspaces = [] } = {}) =>
    execFileSync(bin, ["token", "--config", config, "--sub", sub, "--ttl", ttl, ...workspaces.flatMap((w) => ["--workspace", w])], {
      encoding: "utf8",
    }).trim();
  node.publish = async (rooms, type, data) => {
    const res = await fetch(`${node.url}/v1/publish`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Api-Key": apiKey },
      body: JSON.stringify({ rooms, type, data }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`publish ${type} to ${rooms}: HTTP ${res.status} ${JSON.stringify(body)}`);
    return body.seqs;
  };
  await node.start();
  return node;
}

/** Resolves when pred() holds, checked on every call of poke(); rejects after ms. */
export function waitFor(what, pred, ms = 10_000) {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      clearInterval(iv);
      rej(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const check = () => {
      if (pred()) {
        clearTimeout(timer);
        clearInterval(iv);
        res();
      }
    };
    const iv = setInterval(check, 20);
    check();
  });
}

/** Collects events of one subscription. */
export function collector() {
  const got = [];
  return {
    got,
    onEvent(event, meta) {
      got.push({ type: event.type, data: event.data, seq: meta.seq, room: meta.room });
    },
    seqs: () => got.filter((e) => e.seq !== undefined).map((e) => e.seq),
  };
}
