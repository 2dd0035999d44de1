import { SwitchboardError } from "./errors.js";

/** A client token, or a function that fetches a fresh one (docs/PROTOCOL.md §1). */
export type TokenOption = string | (() => string | Promise<string>);

/** The exp and iat claims of a JWT, read without verifying it (seconds). */
export function jwtTimes(token: string): { exp?: number; iat?: number } {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const claims = JSON.parse(atob(b64)) as { exp?: unknown; iat?: unknown };
    const out: { exp?: number; iat?: number } = {};
    if (typeof claims.exp === "number") out.exp = claims.exp;
    if (typeof claims.iat === "number") out.iat = claims.iat;
    return out;
  } catch {
    return {};
  }
}

/** Holds the current token and asks the getter for a new one when needed. */
export class TokenSource {
  readonly #opt: TokenOption;
  #current: string | undefined;
  #obtained = 0;

  constructor(opt: TokenOption) {
    this.#opt = opt;
  }

  /** Whether a fresh token can be had (a getter, not a fixed string). */
  get refreshable(): boolean {
    return typeof this.#opt === "function";
  }

  /**
   * The token to connect with: the current one while it is not due for a
   * refresh, else a new one from the getter (always a new one if fresh).
   */
  async get(fresh: boolean): Promise<string> {
    if (typeof this.#opt === "string") return this.#opt;
    if (!fresh && this.#current !== undefined && this.refreshIn(0.8) > 1000) return this.#current;
    let t: unknown;
    try {
      t = await this.#opt();
    } catch (e) {
      throw new SwitchboardError("token_failed", `token getter failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (typeof t !== "string" || t === "") {
      throw new SwitchboardError("token_failed", `token getter returned ${t === "" ? "an empty string" : typeof t}, want a JWT string`);
    }
    this.#current = t;
    this.#obtained = Date.now();
    return t;
  }

  /**
   * Milliseconds until the current token reaches `fraction` of its lifetime
   * (from iat, or from when it was obtained, to exp); Infinity without exp.
   */
  refreshIn(fraction: number): number {
    const t = typeof this.#opt === "string" ? this.#opt : this.#current;
    if (t === undefined) return 0;
    const { exp, iat } = jwtTimes(t);
    if (exp === undefined) return Infinity;
    const start = iat !== undefined ? iat * 1000 : this.#obtained || Date.now();
    const at = start + (exp * 1000 - start) * fraction;
    return Math.max(0, at - Date.now());
  }
}
