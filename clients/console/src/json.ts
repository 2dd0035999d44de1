import { h, type Child } from "./dom.js";

/**
 * Renders a JSON value as a tree: objects and arrays are <details> that
 * open and close, the first `open` levels open; scalars are coloured by
 * type.
 */
export function jsonTree(value: unknown, open = 2): HTMLElement {
  return h("div", { class: "json" }, node(value, 0, open));
}

function node(v: unknown, depth: number, open: number, comma = false): Child {
  const sep = comma ? "," : "";
  if (v === null) return scalar("j-null", "null", sep);
  switch (typeof v) {
    case "string":
      return scalar("j-str", JSON.stringify(v), sep);
    case "number":
      return scalar("j-num", String(v), sep);
    case "boolean":
      return scalar("j-bool", String(v), sep);
    case "object":
      break;
    default:
      return scalar("j-null", String(v), sep);
  }
  const isArr = Array.isArray(v);
  const entries: [string, unknown][] = isArr ? (v as unknown[]).map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>);
  const [o, c] = isArr ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return h("span", { class: "j-punct" }, o + c + sep);
  const rows = entries.map(([k, x], i) =>
    h("div", { class: "j-row" }, isArr ? null : h("span", { class: "j-key" }, JSON.stringify(k)), isArr ? null : h("span", { class: "j-punct" }, ": "), node(x, depth + 1, open, i < entries.length - 1)),
  );
  const count = `${entries.length} ${isArr ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"}`;
  // The separator follows the closing bracket: in the summary while
  // folded, after the body while open.
  return h(
    "details",
    { class: "j-node", open: depth < open },
    h("summary", { title: "fold / unfold" }, h("span", { class: "j-punct" }, o), h("span", { class: "j-count" }, count), h("span", { class: "j-punct j-close-inline" }, c + sep)),
    h("div", { class: "j-body" }, ...rows),
    h("span", { class: "j-punct j-close" }, c + sep),
  );
}

function scalar(cls: string, text: string, sep: string): Child {
  const el = h("span", { class: cls }, text);
  return sep ? h("span", {}, el, h("span", { class: "j-punct" }, sep)) : el;
}

/** Keys that say most about an event's data, shown first in previews. */
const telling = ["title", "name", "body", "text", "message", "status", "role", "userId", "reason", "service", "version"];

/**
 * A one-line preview of a value, at most max characters: for an object,
 * its telling scalar fields first (title="…" status=todo), ids last.
 */
export function preview(v: unknown, max = 120): string {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x === null || typeof x !== "object");
    const rank = (k: string) => {
      const i = telling.indexOf(k);
      return i >= 0 ? i : k === "id" || k.endsWith("Id") ? 100 : 50;
    };
    entries.sort((a, b) => rank(a[0]) - rank(b[0]));
    const s = entries.map(([k, x]) => `${k}=${typeof x === "string" ? JSON.stringify(x) : String(x)}`).join("  ");
    if (s !== "") return s.length > max ? s.slice(0, max - 1) + "…" : s;
  }
  let s: string;
  try {
    s = JSON.stringify(v) ?? "";
  } catch {
    s = String(v);
  }
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}
