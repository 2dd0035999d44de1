/** A child of h(): nodes and strings; null, undefined and false are skipped. */
export type Child = Node | string | null | undefined | false;

type Attr = string | number | boolean | null | undefined | ((e: Event) => void);

/**
 * Creates an element: attributes by name ("class", "id", "data-x", …),
 * CSS custom properties ("--h"), listeners as on<event> functions
 * (onclick, oninput), then children.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, Attr> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    // CSS custom properties through the CSSOM: a style attribute would be
    // refused by the Content-Security-Policy (style-src 'self').
    else if (k.startsWith("--")) el.style.setProperty(k, String(v));
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

/** Appends children to el, skipping the empty ones. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Replaces el's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** The element with this id, of the given type; throws when missing (a bug in index.html). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`console: #${id} is missing or not a ${type.name}`);
  return el;
}

/** A stable hue (0–359) for a string: the same event type or user gets the same colour. */
export function hue(s: string): number {
  let x = 2166136261;
  for (let i = 0; i < s.length; i++) {
    x ^= s.charCodeAt(i);
    x = Math.imul(x, 16777619);
  }
  return (x >>> 0) % 360;
}

/** sessionStorage that tolerates a browser refusing it (private modes). */
export const session = {
  get(key: string): string | null {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key: string, value: string | null): void {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, value);
    } catch {
      // nothing kept: the console still works for this page
    }
  },
};

/** "14:03:07.125" in local time. */
export function clock(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** "in 59m", "in 2h 5m", "expired". */
export function until(ms: number): string {
  if (ms <= 0) return "expired";
  const m = Math.round(ms / 60000);
  if (m < 1) return "in <1m";
  if (m < 60) return `in ${m}m`;
  const hh = Math.floor(m / 60);
  return `in ${hh}h${m % 60 ? ` ${m % 60}m` : ""}`;
}
