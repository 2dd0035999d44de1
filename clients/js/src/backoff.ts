/** Reconnect delays: exponential with jitter, bounded (docs/PROTOCOL.md §3.6). */
export interface BackoffOptions {
  /** First delay in ms (default 250). */
  minMs?: number;
  /** Largest delay in ms (default 5000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

export class Backoff {
  readonly #min: number;
  readonly #max: number;
  readonly #factor: number;
  #attempt = 0;

  constructor(o: BackoffOptions = {}) {
    this.#min = Math.max(1, o.minMs ?? 250);
    this.#max = Math.max(this.#min, o.maxMs ?? 5000);
    this.#factor = Math.max(1, o.factor ?? 2);
  }

  /** The next delay: between half and all of min·factor^attempt, capped at max. */
  next(): number {
    const d = Math.min(this.#max, this.#min * this.#factor ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 64);
    return d / 2 + Math.random() * (d / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
