/** One Server-Sent Events block (docs/PROTOCOL.md §4.2). */
export interface SseBlock {
  event: string;
  data: string;
  id: string | undefined;
  retry: number | undefined;
}

/**
 * Splits a text/event-stream into blocks, per the WHATWG rules that the
 * server uses: lines `field: value`, comments starting with ':', a blank
 * line ends a block.
 */
export class SseParser {
  #buf = "";
  #block: SseBlock = empty();
  #has = false;

  push(chunk: string): SseBlock[] {
    this.#buf += chunk;
    const out: SseBlock[] = [];
    for (;;) {
      const nl = this.#buf.search(/\r\n|\r|\n/);
      // A CR at the end may be the first half of a CRLF: wait for the next chunk.
      if (nl < 0 || (nl === this.#buf.length - 1 && this.#buf[nl] === "\r")) break;
      const len = this.#buf.startsWith("\r\n", nl) ? 2 : 1;
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + len);
      if (line === "") {
        if (this.#has) out.push(this.#block);
        this.#block = empty();
        this.#has = false;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      this.#has = true;
      switch (field) {
        case "event":
          this.#block.event = value;
          break;
        case "data":
          this.#block.data = this.#block.data === "" ? value : this.#block.data + "\n" + value;
          break;
        case "id":
          this.#block.id = value;
          break;
        case "retry":
          if (/^\d+$/.test(value)) this.#block.retry = Number(value);
          break;
      }
    }
    return out;
  }
}

function empty(): SseBlock {
  return { event: "", data: "", id: undefined, retry: undefined };
}
