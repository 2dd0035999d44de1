import { byId, h, replace, session } from "./dom.js";
import { jsonTree } from "./json.js";

/**
 * The publish tab: POST /v1/publish (docs/PROTOCOL.md §10) with an API key
 * kept in this tab's sessionStorage, showing the node's answer.
 */
export class Publish {
  readonly #form = byId("publish-form", HTMLFormElement);
  readonly #rooms = byId("pub-rooms", HTMLInputElement);
  readonly #type = byId("pub-type", HTMLInputElement);
  readonly #data = byId("pub-data", HTMLTextAreaElement);
  readonly #key = byId("pub-key", HTMLInputElement);
  readonly #dataError = byId("pub-data-error", HTMLElement);
  readonly #answer = byId("pub-answer", HTMLElement);
  readonly #types = byId("pub-types", HTMLDataListElement);

  constructor() {
    this.#key.value = session.get("sb.apiKey") ?? "";
    this.#key.addEventListener("change", () => session.set("sb.apiKey", this.#key.value || null));
    this.#data.addEventListener("input", () => this.#checkData());
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.#send();
    });
  }

  /** The types offered in the type field. */
  setTypes(names: string[]): void {
    replace(this.#types, ...names.filter((n) => !n.startsWith("presence.") && !n.startsWith("access.")).map((n) => h("option", { value: n })));
  }

  /** Fills the form (from the catalogue, or the room selected). */
  fill(o: { rooms?: string; type?: string; data?: unknown }): void {
    if (o.rooms !== undefined && (this.#rooms.value === "" || o.type === undefined)) this.#rooms.value = o.rooms;
    if (o.type !== undefined) this.#type.value = o.type;
    if (o.data !== undefined) this.#data.value = JSON.stringify(o.data, null, 2);
    this.#checkData();
  }

  /** Suggests a room when the field is empty. */
  suggestRoom(room: string): void {
    if (this.#rooms.value.trim() === "") this.#rooms.value = room;
  }

  #checkData(): unknown {
    const text = this.#data.value.trim();
    try {
      const v: unknown = text === "" ? null : JSON.parse(text);
      this.#dataError.hidden = true;
      this.#data.removeAttribute("aria-invalid");
      return v;
    } catch (e) {
      this.#dataError.textContent = `Not JSON: ${e instanceof Error ? e.message : String(e)}`;
      this.#dataError.hidden = false;
      this.#data.setAttribute("aria-invalid", "true");
      return undefined;
    }
  }

  async #send(): Promise<void> {
    const data = this.#checkData();
    if (data === undefined) return;
    const rooms = this.#rooms.value.split(/[\s,]+/).filter((r) => r !== "");
    const key = this.#key.value;
    session.set("sb.apiKey", key || null);
    const body = { rooms, type: this.#type.value.trim(), data };
    const button = this.#form.querySelector("button[type=submit]") as HTMLButtonElement;
    button.disabled = true;
    const started = performance.now();
    try {
      const res = await fetch("/v1/publish", { method: "POST", headers: { "Content-Type": "application/json", "X-Api-Key": key }, body: JSON.stringify(body), cache: "no-store" });
      const text = await res.text();
      let answer: unknown = text;
      try {
        answer = JSON.parse(text);
      } catch {
        // shown as text
      }
      const ms = Math.round(performance.now() - started);
      replace(
        this.#answer,
        h("div", { class: `status ${res.ok ? "ok" : "bad"}`, id: "pub-status" }, `${res.status} ${res.statusText || (res.ok ? "OK" : "")}`.trim(), h("span", { class: "muted" }, ` · ${ms} ms`)),
        jsonTree(answer, 3),
      );
    } catch (e) {
      replace(this.#answer, h("div", { class: "status bad", id: "pub-status" }, `Request failed: ${e instanceof Error ? e.message : String(e)}`));
    } finally {
      button.disabled = false;
    }
  }
}
