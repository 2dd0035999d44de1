import { byId, h, hue, replace } from "./dom.js";
import { jsonTree } from "./json.js";

/** One event type of the catalogue (an AsyncAPI message). */
export interface EventType {
  name: string;
  summary?: string;
  payload?: unknown;
  "x-rooms"?: string[];
  "x-source"?: string;
}

/**
 * The catalogue tab: every event type the node delivers (GET
 * /v1/catalog?format=json, the AsyncAPI document as JSON), searchable,
 * each with its JSON Schema.
 */
export class Catalog {
  readonly #list = byId("catalog-list", HTMLElement);
  readonly #detail = byId("catalog-detail", HTMLElement);
  readonly #search = byId("catalog-search", HTMLInputElement);
  readonly #onPublish: (t: EventType) => void;
  #types: EventType[] = [];
  #selected = "";
  #loaded: Promise<EventType[]> | undefined;

  constructor(onPublish: (t: EventType) => void) {
    this.#onPublish = onPublish;
    this.#search.addEventListener("input", () => this.#render());
  }

  /** Loads the catalogue once (again after a failure). */
  load(): Promise<EventType[]> {
    if (!this.#loaded) {
      this.#loaded = fetchCatalog().then(
        (types) => {
          this.#types = types;
          if (this.#selected === "") this.#selected = types.find((t) => !t.name.startsWith("presence.") && !t.name.startsWith("access."))?.name ?? types[0]?.name ?? "";
          this.#render();
          return types;
        },
        (e: unknown) => {
          this.#loaded = undefined;
          replace(this.#list, h("li", { class: "error" }, `Could not load the catalogue: ${e instanceof Error ? e.message : String(e)}`));
          return [];
        },
      );
    }
    return this.#loaded;
  }

  #render(): void {
    const q = this.#search.value.trim().toLowerCase();
    const shown = this.#types.filter((t) => q === "" || t.name.toLowerCase().includes(q) || (t.summary ?? "").toLowerCase().includes(q));
    replace(
      this.#list,
      ...shown.map((t) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: `cat-item${t.name === this.#selected ? " selected" : ""}`, "data-type": t.name, onclick: () => ((this.#selected = t.name), this.#render()) },
            h("span", { class: "ev-type mono", "--h": hue(t.name.split(".").slice(0, 2).join(".")) }, t.name),
            h("span", { class: "muted small" }, (t["x-source"] ?? "").replace(/^switchboard\/plugins\//, "plugin ")),
          ),
        ),
      ),
      shown.length === 0 ? h("li", { class: "muted empty-line" }, "No type matches.") : null,
    );
    const t = this.#types.find((x) => x.name === this.#selected);
    if (!t) return replace(this.#detail, h("p", { class: "muted" }, "Select a type."));
    const own = t.name.startsWith("presence.") || t.name.startsWith("access.");
    replace(
      this.#detail,
      h("div", { class: "cat-head" }, h("h3", { class: "mono" }, t.name), own ? null : h("button", { type: "button", class: "small", onclick: () => this.#onPublish(t) }, "Publish one…")),
      t.summary ? h("p", {}, t.summary) : null,
      h(
        "dl",
        { class: "kv" },
        h("dt", {}, "source"),
        h("dd", { class: "mono" }, t["x-source"] ?? "—"),
        h("dt", {}, "rooms"),
        h("dd", { class: "mono" }, (t["x-rooms"] ?? []).join(", ") || "any"),
      ),
      h("h4", {}, "Payload schema (data)"),
      jsonTree(t.payload ?? null, 4),
    );
  }
}

/** GET /v1/catalog as JSON: its messages, sorted by type. */
export async function fetchCatalog(): Promise<EventType[]> {
  const res = await fetch("/v1/catalog?format=json", { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(`GET /v1/catalog: HTTP ${res.status}`);
  const doc = (await res.json()) as { components?: { messages?: Record<string, EventType> } };
  return Object.values(doc.components?.messages ?? {}).sort((a, b) => a.name.localeCompare(b.name));
}

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; const?: unknown; format?: string; minimum?: number; default?: unknown; examples?: unknown[] };

/** A small example value for a JSON Schema: its required properties, each a plausible value. */
export function example(s: unknown, depth = 0): unknown {
  if (s === null || typeof s !== "object" || depth > 6) return null;
  const sc = s as Schema;
  if (sc.const !== undefined) return sc.const;
  if (sc.default !== undefined) return sc.default;
  if (sc.examples && sc.examples.length > 0) return sc.examples[0];
  if (sc.enum && sc.enum.length > 0) return sc.enum[0];
  const type = Array.isArray(sc.type) ? sc.type.find((t) => t !== "null") : sc.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props = sc.properties ?? {};
      const req = sc.required ?? Object.keys(props);
      for (const k of req) out[k] = example(props[k] ?? {}, depth + 1);
      return out;
    }
    case "array":
      return [];
    case "string":
      return sc.format === "date" ? new Date().toISOString().slice(0, 10) : sc.format === "date-time" ? new Date().toISOString() : "text";
    case "integer":
    case "number":
      return sc.minimum ?? 1;
    case "boolean":
      return true;
    default:
      return null;
  }
}
