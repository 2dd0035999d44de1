import type { CloudEvent, PresenceData, Subscription, Switchboard } from "../../js/src/index.ts";
import { byId, h, replace, session } from "./dom.js";
import { avatar } from "./identity.js";

/** What a joined room shows. */
interface Room {
  name: string;
  sub: Subscription;
  state: "joining" | "joined" | "failed";
  error?: string;
  events: number;
  present: Map<string, PresenceData>;
  presenceError?: string;
  /** presence.join / leave seen while GET …/presence is under way, applied again on its answer */
  pending?: CloudEvent[];
}

/** What the room list tells the rest of the console. */
export interface RoomsHost {
  event(room: string, seq: number | undefined, ev: CloudEvent): void;
  selected(room: string): void;
  joined(room: string): void;
}

/** Room ids are kind:id (docs/PROTOCOL.md §2). */
const roomPattern = /^[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_.-]{1,128}$/;

/**
 * The rooms joined (each with its state and event count) and the presence
 * of the selected one: fetched on join (GET /v1/rooms/{room}/presence,
 * docs/PROTOCOL.md §8) and kept current with presence.join / leave.
 */
export class Rooms {
  readonly #list = byId("rooms", HTMLElement);
  readonly #input = byId("room-input", HTMLInputElement);
  readonly #error = byId("room-error", HTMLElement);
  readonly #suggest = byId("room-suggest", HTMLElement);
  readonly #presence = byId("presence", HTMLElement);
  readonly #presenceTitle = byId("presence-title", HTMLElement);
  readonly #host: RoomsHost;
  readonly #rooms = new Map<string, Room>();
  #sb: Switchboard | undefined;
  #selected = "";

  constructor(host: RoomsHost) {
    this.#host = host;
    byId("join-form", HTMLFormElement).addEventListener("submit", (e) => {
      e.preventDefault();
      this.#joinTyped();
    });
    this.render();
  }

  /** Connects the list to a client; rejoins the rooms of this browser tab. */
  attach(sb: Switchboard, suggestions: string[]): void {
    this.#sb = sb;
    this.#input.disabled = false;
    byId("join", HTMLButtonElement).disabled = false;
    const saved = (session.get("sb.rooms") ?? "").split(",").filter((r) => roomPattern.test(r));
    for (const r of saved) this.join(r);
    replace(this.#suggest, ...suggestions.filter((s) => !this.#rooms.has(s)).map((s) => h("button", { type: "button", class: "chip chip-btn", onclick: () => this.join(s) }, `+ ${s}`)));
    this.render();
  }

  /** Leaves every room (the client is closing). */
  detach(): void {
    this.#sb = undefined;
    this.#rooms.clear();
    this.#input.disabled = true;
    byId("join", HTMLButtonElement).disabled = true;
    replace(this.#suggest);
    this.render();
  }

  join(name: string): void {
    const sb = this.#sb;
    if (!sb) return this.#fail("Connect first.");
    if (!roomPattern.test(name)) return this.#fail(`"${name}" is not a room: kind:id, e.g. workspace:w1 or project:42.`);
    if (this.#rooms.has(name)) return this.select(name);
    this.#error.hidden = true;
    const room: Room = { name, state: "joining", events: 0, present: new Map(), sub: undefined as unknown as Subscription };
    room.sub = sb.subscribe(name, {
      onEvent: (ev, meta) => {
        room.events++;
        if (ev.type === "presence.join" || ev.type === "presence.leave") this.#presenceEvent(room, ev);
        this.#host.event(meta.room, meta.seq, ev);
        this.render();
      },
      onError: (err) => {
        room.state = "failed";
        room.error = err.message;
        this.render();
      },
      // After every (re)join: leaves while disconnected were live-only
      // events, lost with the connection, so the list is asked again.
      onRecovered: () => void this.#loadPresence(room),
    });
    this.#rooms.set(name, room);
    this.#save();
    this.#host.joined(name);
    room.sub.ready.then(
      () => {
        room.state = "joined";
        this.render();
      },
      (err: unknown) => {
        room.state = "failed";
        room.error = err instanceof Error ? err.message : String(err);
        this.render();
      },
    );
    if (this.#selected === "" || !this.#rooms.has(this.#selected)) this.#selected = name;
    this.render();
    for (const b of this.#suggest.querySelectorAll("button")) if (b.textContent === `+ ${name}`) b.remove();
  }

  leave(name: string): void {
    const room = this.#rooms.get(name);
    if (!room) return;
    room.sub.unsubscribe();
    this.#rooms.delete(name);
    if (this.#selected === name) this.#selected = this.#rooms.keys().next().value ?? "";
    this.#save();
    this.render();
  }

  select(name: string): void {
    this.#selected = name;
    this.#host.selected(name);
    this.render();
  }

  #joinTyped(): void {
    const name = this.#input.value.trim();
    if (name === "") return;
    this.join(name);
    if (this.#rooms.has(name)) this.#input.value = "";
  }

  #fail(msg: string): void {
    this.#error.textContent = msg;
    this.#error.hidden = false;
  }

  async #loadPresence(room: Room): Promise<void> {
    room.pending = [];
    try {
      const users = await room.sub.presence();
      room.present = new Map(users.map((u) => [u.userId, u]));
      // The answer may predate changes already announced: replay them.
      const seen = room.pending ?? [];
      room.pending = undefined;
      for (const ev of seen) this.#presenceEvent(room, ev);
      room.presenceError = undefined;
    } catch (e) {
      room.presenceError = e instanceof Error ? e.message : String(e);
    }
    room.pending = undefined;
    this.render();
  }

  #presenceEvent(room: Room, ev: CloudEvent): void {
    room.pending?.push(ev);
    const d = ev.data as PresenceData | null;
    if (!d || typeof d.userId !== "string") return;
    if (ev.type === "presence.join") room.present.set(d.userId, d);
    else room.present.delete(d.userId);
  }

  #save(): void {
    session.set("sb.rooms", [...this.#rooms.keys()].join(","));
  }

  render(): void {
    if (this.#rooms.size === 0) {
      replace(this.#list, h("li", { class: "muted empty-line" }, this.#sb ? "No room joined yet." : "Connect to join rooms."));
    } else {
      replace(
        this.#list,
        ...[...this.#rooms.values()].map((r) =>
          h(
            "li",
            { class: `room${r.name === this.#selected ? " selected" : ""}`, "data-room": r.name, "data-state": r.state },
            h(
              "button",
              { type: "button", class: "room-name", title: r.error ?? `${r.name}: ${r.state}`, onclick: () => this.select(r.name) },
              h("span", { class: `dot ${r.state}`, "aria-label": r.state }),
              h("span", { class: "mono" }, r.name),
              h("span", { class: "count" }, String(r.events)),
            ),
            h("button", { type: "button", class: "icon", title: `Leave ${r.name}`, "aria-label": `Leave ${r.name}`, onclick: () => this.leave(r.name) }, "×"),
            r.state === "failed" ? h("div", { class: "error small" }, r.error ?? "failed") : null,
          ),
        ),
      );
    }
    this.#renderPresence();
  }

  #renderPresence(): void {
    const room = this.#rooms.get(this.#selected);
    this.#presenceTitle.textContent = room ? `Presence · ${room.name}` : "Presence";
    if (!room) return replace(this.#presence, h("li", { class: "muted empty-line" }, "Select a joined room."));
    if (room.presenceError) return replace(this.#presence, h("li", { class: "error small" }, room.presenceError));
    if (room.present.size === 0) return replace(this.#presence, h("li", { class: "muted empty-line" }, room.state === "joined" ? "Nobody here." : "…"));
    replace(
      this.#presence,
      ...[...room.present.values()]
        .sort((a, b) => a.userId.localeCompare(b.userId))
        .map((u) => {
          const name = typeof u["name"] === "string" ? u["name"] : "";
          return h("li", { class: "user", "data-user": u.userId }, avatar(name || u.userId, u.userId), h("span", {}, h("span", { class: "user-name" }, name || u.userId), name ? h("span", { class: "muted mono small" }, ` ${u.userId}`) : null));
        }),
    );
  }
}
