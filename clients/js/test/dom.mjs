// A DOM for react-dom in Node: happy-dom's window and document as globals,
// set before react-dom is imported (it looks for them when it loads).
// Node 20 has no navigator (react-dom's dev build reads its userAgent).
// Nothing else: fetch and WebSocket stay Node's (the client gets `ws`).
import { Window } from "happy-dom";

const window = new Window({ url: "http://localhost/" });
globalThis.window = window;
globalThis.document = window.document;
if (globalThis.navigator === undefined) globalThis.navigator = window.navigator;
