import type { CloudEvent } from "../../js/src/index.ts";
import { byId, clock, h, hue, replace } from "./dom.js";
import { jsonTree, preview } from "./json.js";

/** One event as received. */
export interface Entry {
  n: number;
  room: string;
  seq: number | undefined;
  ev: CloudEvent;
  at: Date;
}

/** How many events the list keeps; older ones are dropped. */
const keep = 1000;

/**
 * The live event list: newest first, filtered by room, type and a text
 * search, each event a row that opens to its pretty-printed envelope.
 */
export class EventLog {
  readonly #list = byId("events", HTMLElement);
  readonly #empty = byId("events-empty", HTMLElement);
  readonly #room = byId("filter-room", HTMLSelectElement);
  readonly #type = byId("filter-type", HTMLSelectElement);
  readonly #text = byId("filter-text", HTMLInputElement);
  readonly #pause = byId("pause", HTMLButtonElement);
  readonly #count = byId("events-count", HTMLElement);
  readonly #rows: { e: Entry; el: HTMLElement }[] = [];
  readonly #types = new Set<string>();
  readonly #rooms = new Set<string>();
  #n = 0;
  #paused: Entry[] | undefined;

  constructor() {
    for (const el of [this.#room, this.#type]) el.addEventListener("change", () => this.#filter());
    this.#text.addEventListener("input", () => this.#filter());
    this.#pause.addEventListener("click", () => this.#togglePause());
    byId("clear", HTMLButtonElement).addEventListener("click", () => this.clear());
    this.#update();
  }

  /** Adds an event at the top (or holds it while paused). */
  add(room: string, seq: number | undefined, ev: CloudEvent): void {
    const e: Entry = { n: ++this.#n, room, seq, ev, at: new Date() };
    if (this.#paused) {
      this.#paused.push(e);
      if (this.#paused.length > keep) this.#paused.shift(); // the list would drop it anyway
      this.#pause.textContent = `Resume (${this.#paused.length})`;
      return;
    }
    this.#show(e);
    this.#update();
  }

  /** Shows only the events of room ("" for all). */
  selectRoom(room: string): void {
    this.#addOption(this.#room, this.#rooms, room);
    this.#room.value = room;
    this.#filter();
  }

  /** A room the user joined: listed in the room filter even before its first event. */
  knowRoom(room: string): void {
    this.#addOption(this.#room, this.#rooms, room);
  }

  clear(): void {
    for (const r of this.#rows) r.el.remove();
    this.#rows.length = 0;
    if (this.#paused) this.#paused.length = 0;
    this.#update();
  }

  #show(e: Entry): void {
    this.#addOption(this.#type, this.#types, e.ev.type);
    this.#addOption(this.#room, this.#rooms, e.room);
    const el = this.#row(e);
    el.hidden = !this.#matches(e);
    this.#list.prepend(el);
    this.#rows.push({ e, el });
    if (this.#rows.length > keep) this.#rows.shift()?.el.remove();
  }

  #row(e: Entry): HTMLElement {
    const { ev } = e;
    const body = h("div", { class: "ev-body" });
    const head = h(
      "button",
      { type: "button", class: "ev-head", "aria-expanded": "false" },
      h("time", { class: "ev-time mono", datetime: ev.time ?? "", title: ev.time ?? "" }, clock(ev.time ? new Date(ev.time) : e.at)),
      h("span", { class: "ev-type mono", "--h": hue(ev.type.split(".").slice(0, 2).join(".")) }, ev.type),
      h("span", { class: "ev-room mono" }, e.room),
      h("span", { class: "ev-seq mono", title: e.seq === undefined ? "live only (no seq)" : "seq in the room's history" }, e.seq === undefined ? "live" : `#${e.seq}`),
      h("span", { class: "ev-preview mono" }, preview(ev.data, 160)),
    );
    const el = h("article", { class: "ev", "data-type": ev.type, "data-room": e.room, "data-seq": e.seq ?? "" }, head, body);
    body.hidden = true;
    head.addEventListener("click", () => {
      const open = body.hidden;
      if (open && body.childElementCount === 0) {
        const meta = h(
          "div",
          { class: "ev-meta" },
          ...[
            ["id", ev.id],
            ["source", ev.source],
            ["actor", ev.actor],
            ["subject", ev.subject],
            ["correlationid", ev.correlationid],
          ]
            .filter(([, v]) => typeof v === "string" && v !== "")
            .map(([k, v]) => h("span", {}, h("span", { class: "muted" }, `${String(k)} `), h("span", { class: "mono" }, String(v)))),
        );
        const copy = h("button", { type: "button", class: "ghost small", onclick: () => void navigator.clipboard?.writeText(JSON.stringify(ev, null, 2)) }, "Copy JSON");
        body.append(h("div", { class: "ev-tools" }, meta, copy), jsonTree(ev, 3));
      }
      body.hidden = !open;
      head.setAttribute("aria-expanded", String(open));
      el.classList.toggle("open", open);
    });
    return el;
  }

  #matches(e: Entry): boolean {
    if (this.#room.value !== "" && e.room !== this.#room.value) return false;
    if (this.#type.value !== "" && !typeMatches(e.ev.type, this.#type.value)) return false;
    const q = this.#text.value.trim().toLowerCase();
    if (q !== "" && !`${e.ev.type} ${e.room} ${JSON.stringify(e.ev.data)}`.toLowerCase().includes(q)) return false;
    return true;
  }

  #filter(): void {
    for (const r of this.#rows) r.el.hidden = !this.#matches(r.e);
    this.#update();
  }

  #togglePause(): void {
    if (this.#paused) {
      const held = this.#paused;
      this.#paused = undefined;
      for (const e of held) this.#show(e);
      this.#pause.textContent = "Pause";
      this.#pause.setAttribute("aria-pressed", "false");
    } else {
      this.#paused = [];
      this.#pause.textContent = "Resume (0)";
      this.#pause.setAttribute("aria-pressed", "true");
    }
    this.#update();
  }

  /** Keeps an option per value seen, sorted; a type also gets its prefix ("pm.task.*"). */
  #addOption(sel: HTMLSelectElement, seen: Set<string>, v: string): void {
    const values = sel === this.#type ? [v, ...prefixes(v)] : [v];
    let changed = false;
    for (const x of values) {
      if (!seen.has(x)) {
        seen.add(x);
        changed = true;
      }
    }
    if (!changed) return;
    const cur = sel.value;
    const all = sel.options[0]!;
    replace(sel, all, ...[...seen].sort().map((x) => h("option", { value: x }, x)));
    sel.value = cur;
  }

  #update(): void {
    const shown = this.#rows.filter((r) => !r.el.hidden).length;
    this.#count.textContent = this.#rows.length === shown ? String(shown) : `${shown}/${this.#rows.length}`;
    this.#empty.hidden = shown > 0;
    if (shown === 0) {
      this.#empty.querySelector("p")!.textContent =
        this.#rows.length > 0 ? "No event matches the filters." : "Join a room on the left: its events appear here as they happen, newest first.";
    }
  }
}

/** "pm.task.created" → ["pm.*", "pm.task.*"]. */
function prefixes(type: string): string[] {
  const parts = type.split(".");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(".") + ".*");
  return out;
}

function typeMatches(type: string, pattern: string): boolean {
  return pattern.endsWith(".*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
}
