import { byId, h, replace, session, until } from "./dom.js";

/** The claims the console shows of a token (read, not verified: the node verifies). */
export interface Claims {
  sub?: string;
  name?: string;
  workspaces?: string[];
  exp?: number;
}

/** Decodes a JWT's payload; undefined when it is not a JWT. */
export function claims(token: string): Claims | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bin = atob(b64);
    const text = new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
    const c = JSON.parse(text) as unknown;
    return c !== null && typeof c === "object" ? (c as Claims) : undefined;
  } catch {
    return undefined;
  }
}

/** What the node says of minting (GET /console/token). */
interface MintInfo {
  mint: boolean;
  reason?: string;
  ttl?: string;
  maxTtl?: string;
}

/** A request for a development token (POST /console/token). */
export interface MintRequest {
  sub: string;
  name?: string;
  workspaces?: string[];
  ttl?: string;
}

/** Mints a development token; throws with the node's error message. */
export async function mint(req: MintRequest): Promise<string> {
  const res = await fetch("/console/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(req),
    cache: "no-store",
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!res.ok || typeof body.token !== "string") throw new Error(body.error?.message ?? `POST /console/token: HTTP ${res.status}`);
  return body.token;
}

/** How the identity form hands over a token: a fixed string, or a getter that mints anew (dev). */
export type TokenChoice = { token: string | (() => Promise<string>); first: string; transport: "websocket" | "sse" };

/**
 * The identity card: mint a development token (only when the node offers
 * it) or paste one, then connect; once connected it shows who you are.
 */
export class Identity {
  readonly #card = byId("identity", HTMLElement);
  readonly #onConnect: (c: TokenChoice) => void;
  readonly #onDisconnect: () => void;
  #mintInfo: MintInfo = { mint: false };
  #mode: "mint" | "paste" = "paste";
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(onConnect: (c: TokenChoice) => void, onDisconnect: () => void) {
    this.#onConnect = onConnect;
    this.#onDisconnect = onDisconnect;
  }

  /** Asks the node whether it mints development tokens, then draws the form. */
  async start(): Promise<void> {
    try {
      const res = await fetch("/console/token", { cache: "no-store" });
      if (res.ok) this.#mintInfo = (await res.json()) as MintInfo;
    } catch {
      // no minting: paste a token
    }
    this.#mode = this.#mintInfo.mint ? "mint" : "paste";
    this.showForm();
    this.#resume();
  }

  /**
   * After a reload, signs in again the way this tab last did (a fresh
   * development token, or the pasted one while it is valid); the rooms
   * follow (Rooms.attach).
   */
  #resume(): void {
    const how = session.get("sb.signedIn");
    const transport = session.get("sb.transport") === "sse" ? "sse" : "websocket";
    if (how === "mint" && this.#mintInfo.mint) {
      const req = JSON.parse(session.get("sb.mintRequest") ?? "null") as MintRequest | null;
      if (!req) return;
      mint(req).then(
        (first) => this.#onConnect({ token: () => mint(req), first, transport }),
        () => session.set("sb.signedIn", null),
      );
    } else if (how === "paste") {
      const t = session.get("sb.token") ?? "";
      const c = claims(t);
      if (c && (c.exp === undefined || c.exp * 1000 > Date.now())) this.#onConnect({ token: t, first: t, transport });
    }
  }

  /** The sign-in form (also after disconnecting). */
  showForm(error?: string): void {
    clearInterval(this.#timer);
    const canMint = this.#mintInfo.mint;
    const transport = h("select", { id: "transport", "aria-label": "transport" }, h("option", { value: "websocket" }, "WebSocket"), h("option", { value: "sse" }, "SSE"));
    transport.value = session.get("sb.transport") === "sse" ? "sse" : "websocket";
    const err = h("p", { class: "error", role: "alert", id: "identity-error" }, error ?? "");
    err.hidden = !error;
    const fail = (m: string) => {
      err.textContent = m;
      err.hidden = false;
    };
    const tabs = canMint
      ? h(
          "div",
          { class: "seg", role: "tablist" },
          h("button", { type: "button", role: "tab", "aria-selected": String(this.#mode === "mint"), onclick: () => ((this.#mode = "mint"), this.showForm()) }, "Mint (dev)"),
          h("button", { type: "button", role: "tab", "aria-selected": String(this.#mode === "paste"), onclick: () => ((this.#mode = "paste"), this.showForm()) }, "Paste token"),
        )
      : null;
    let form: HTMLFormElement;
    if (canMint && this.#mode === "mint") {
      const sub = h("input", { id: "mint-sub", required: true, maxlength: 128, value: session.get("sb.sub") ?? "ada", autocomplete: "off", spellcheck: "false" });
      const name = h("input", { id: "mint-name", maxlength: 256, value: session.get("sb.name") ?? "Ada Lovelace", autocomplete: "off" });
      const ws = h("input", { id: "mint-workspaces", value: session.get("sb.workspaces") ?? "w1", placeholder: "w1, w2", autocomplete: "off", spellcheck: "false" });
      form = h(
        "form",
        { class: "stack", id: "mint-form" },
        h("div", { class: "row2" }, h("label", {}, "User id", sub), h("label", {}, "Name", name)),
        h("label", {}, "Workspaces", ws),
        h("div", { class: "row2" }, h("label", {}, "Transport", transport), h("button", { type: "submit", class: "primary", id: "mint" }, "Mint & connect")),
        h("p", { class: "hint" }, `Signed with the node's shipped development secret, valid ${duration(this.#mintInfo.ttl ?? "1h")}. Nodes with a real secret never mint.`),
        err,
      );
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const req: MintRequest = { sub: sub.value.trim(), workspaces: ws.value.split(/[\s,]+/).filter((w) => w !== "") };
        if (name.value.trim() !== "") req.name = name.value.trim();
        session.set("sb.sub", req.sub);
        session.set("sb.name", name.value.trim());
        session.set("sb.workspaces", ws.value);
        session.set("sb.transport", transport.value);
        session.set("sb.mintRequest", JSON.stringify(req));
        mint(req).then(
          (first) => {
            session.set("sb.signedIn", "mint");
            this.#onConnect({ token: () => mint(req), first, transport: transport.value === "sse" ? "sse" : "websocket" });
          },
          (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
        );
      });
    } else {
      const tok = h("textarea", { id: "paste-token", rows: 4, required: true, placeholder: "eyJhbGciOi…", spellcheck: "false", autocomplete: "off" });
      tok.value = session.get("sb.token") ?? "";
      form = h(
        "form",
        { class: "stack", id: "paste-form" },
        h("label", {}, "Client token (JWT)", tok),
        h("div", { class: "row2" }, h("label", {}, "Transport", transport), h("button", { type: "submit", class: "primary", id: "connect" }, "Connect")),
        canMint ? null : h("p", { class: "hint" }, "This node does not mint tokens (only a node on the development secret does): paste one, e.g. from ", h("code", {}, "switchboard token --sub ada"), "."),
        err,
      );
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const t = tok.value.trim();
        const c = claims(t);
        if (!c) return fail("That is not a JWT (three base64url parts separated by dots).");
        if (c.exp !== undefined && c.exp * 1000 <= Date.now()) return fail("That token has expired: mint or paste a fresh one.");
        session.set("sb.token", t);
        session.set("sb.signedIn", "paste");
        session.set("sb.transport", transport.value);
        this.#onConnect({ token: t, first: t, transport: transport.value === "sse" ? "sse" : "websocket" });
      });
    }
    replace(this.#card, h("h2", {}, "Identity"), tabs, form);
  }

  /** Shows who is connected, with the token's expiry counting down. */
  showSignedIn(token: string): void {
    const c = claims(token) ?? {};
    const exp = h("span", { class: "muted", id: "token-exp" });
    const tick = () => {
      exp.textContent = c.exp ? `token expires ${until(c.exp * 1000 - Date.now())}` : "token without exp";
    };
    tick();
    clearInterval(this.#timer);
    this.#timer = setInterval(tick, 15_000);
    const who = c.sub ?? "?";
    const copy = h("button", { type: "button", class: "ghost small", onclick: () => void navigator.clipboard?.writeText(token) }, "Copy token");
    replace(
      this.#card,
      h("h2", {}, "Identity"),
      h(
        "div",
        { class: "who" },
        avatar(c.name ?? who, who),
        h("div", {}, h("div", { class: "who-name", id: "who" }, c.name ? `${c.name}` : who), h("div", { class: "muted mono" }, `sub ${who}`), exp),
      ),
      c.workspaces && c.workspaces.length > 0 ? h("div", { class: "chips" }, ...c.workspaces.map((w) => h("span", { class: "chip" }, `workspace ${w}`))) : null,
      h("div", { class: "row-end" }, copy, h("button", { type: "button", class: "ghost small", id: "disconnect", onclick: () => this.#onDisconnect() }, "Disconnect")),
    );
  }
}

/** A round badge with a user's initials, coloured by their id. */
export function avatar(label: string, id: string): HTMLElement {
  const initials =
    label
      .split(/[\s._@-]+/)
      .filter((p) => p !== "")
      .slice(0, 2)
      .map((p) => p[0]!.toUpperCase())
      .join("") || "?";
  let x = 0;
  for (let i = 0; i < id.length; i++) x = (x * 31 + id.charCodeAt(i)) % 360;
  return h("span", { class: "avatar", "--h": x, title: id, "aria-hidden": "true" }, initials);
}

/** A Go duration as people write it: "1h0m0s" → "1h", "1h30m0s" → "1h30m". */
function duration(d: string): string {
  return d.replace(/(\D)0s$/, "$1").replace(/(\D)0m$/, "$1");
}
