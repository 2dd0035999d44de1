// The Switchboard web console: served by the node at /console (core/console
// embeds the build of this directory). It connects with the TypeScript
// client like any application would.
import { Switchboard, type ConnectionState, type SwitchboardError } from "../../js/src/index.ts";
import { Catalog, example } from "./catalog.js";
import { byId, h, replace, session } from "./dom.js";
import { EventLog } from "./events.js";
import { claims, Identity, type TokenChoice } from "./identity.js";
import { Publish } from "./publish.js";
import { Rooms } from "./rooms.js";

type Tab = "events" | "catalog" | "publish";

class App {
  readonly #state = byId("conn-state", HTMLElement);
  readonly #notice = byId("notice", HTMLElement);
  readonly #log = new EventLog();
  readonly #publish = new Publish();
  readonly #catalog = new Catalog((t) => {
    this.#publish.fill({ type: t.name, data: example(t.payload) });
    this.tab("publish");
  });
  readonly #rooms = new Rooms({
    event: (room, seq, ev) => this.#log.add(room, seq, ev),
    selected: (room) => {
      this.#log.selectRoom(room);
      this.#publish.suggestRoom(room);
    },
    joined: (room) => {
      this.#log.knowRoom(room);
      this.#publish.suggestRoom(room);
    },
  });
  readonly #identity = new Identity(
    (c) => this.connect(c),
    () => this.disconnect(),
  );
  #sb: Switchboard | undefined;

  start(): void {
    byId("node", HTMLElement).textContent = location.host;
    for (const b of document.querySelectorAll<HTMLButtonElement>("[data-tab]")) {
      b.addEventListener("click", () => this.tab(b.dataset["tab"] as Tab));
    }
    const initial = location.hash.slice(1);
    this.tab(initial === "catalog" || initial === "publish" ? initial : "events");
    this.#showState("idle");
    void this.#catalog.load().then((types) => this.#publish.setTypes(types.map((t) => t.name)));
    void this.#identity.start();
  }

  tab(t: Tab): void {
    for (const b of document.querySelectorAll<HTMLButtonElement>("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset["tab"] === t));
    for (const p of document.querySelectorAll<HTMLElement>("[data-panel]")) p.hidden = p.dataset["panel"] !== t;
    if (location.hash.slice(1) !== t) history.replaceState(null, "", t === "events" ? location.pathname : `#${t}`);
  }

  connect(c: TokenChoice): void {
    if (this.#sb) {
      this.#sb.close();
      this.#rooms.detach();
    }
    const sb = new Switchboard({ url: location.origin, token: c.token, transport: c.transport });
    this.#sb = sb;
    sb.on("state", (s, err) => this.#showState(s, err));
    sb.on("error", (err) => this.#notify(err));
    this.#identity.showSignedIn(c.first);
    const cl = claims(c.first) ?? {};
    const suggestions = [...(cl.workspaces ?? []).map((w) => `workspace:${w}`), ...(cl.sub ? [`user:${cl.sub}`] : [])];
    this.#rooms.attach(sb, suggestions);
    this.#showState(sb.state);
  }

  disconnect(): void {
    if (!this.#sb) return;
    this.#sb.close();
    this.#sb = undefined;
    this.#rooms.detach();
    this.#showState("idle");
    session.set("sb.token", null);
    session.set("sb.signedIn", null);
    this.#identity.showForm();
  }

  #showState(s: ConnectionState, err?: SwitchboardError): void {
    const label: Record<ConnectionState, string> = {
      idle: this.#sb ? "idle · join a room" : "not connected",
      connecting: "connecting…",
      connected: `connected · ${this.#sb?.transport === "sse" ? "SSE" : "WebSocket"}`,
      disconnected: "reconnecting…",
      closed: "closed",
    };
    this.#state.dataset["state"] = s;
    replace(this.#state, h("span", { class: `dot ${s}` }), label[s]);
    this.#state.title = err ? err.message : "";
    if (s === "closed" && err) this.#identity.showForm(`The client stopped: ${err.message}`);
  }

  #notify(err: SwitchboardError): void {
    replace(this.#notice, h("span", {}, err.message), h("button", { type: "button", class: "icon", "aria-label": "Dismiss", onclick: () => (this.#notice.hidden = true) }, "×"));
    this.#notice.hidden = false;
  }
}

new App().start();
