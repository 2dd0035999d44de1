/**
 * @switchboard-rt/client: the Switchboard client for browsers and Node 20+.
 * It follows docs/PROTOCOL.md of the Switchboard repository.
 */
export { Switchboard, type ClientEvents } from "./client.js";
export type { Subscription } from "./subscription.js";
export { SwitchboardError, type ErrorCode, type WireCode, type ClientCode } from "./errors.js";
export type { BackoffOptions } from "./backoff.js";
export type { TokenOption } from "./token.js";
// The bundled project-management plugins' payloads, generated from the
// catalogue (make generate-ts): `new Switchboard<PMEventMap>(…)`, and each
// payload as pm.PmTaskCreated, pm.PmPhaseStarted, ….
export type * as pm from "./pm.js";
export type { EventMap as PMEventMap } from "./pm.js";
export type {
  BuiltinEvents,
  CloudEvent,
  ConnectionState,
  EventMap,
  EventMeta,
  EventSourceConstructor,
  FetchFunction,
  PresenceData,
  RevokedData,
  SubscribeOptions,
  SubscriptionState,
  SwitchboardOptions,
  Transport,
  WebSocketConstructor,
} from "./types.js";
