// Package sdk is the one package a Switchboard plugin imports. A plugin is
// a separate process that owns a project-management domain (its routes,
// its data, its event types, the rooms it decides on); the core starts it,
// routes HTTP to it, checks and delivers its events, and restarts it if it
// dies. go-plugin, gRPC, protobuf and the outbox stay behind this package,
// and a plugin links no package of the router's core.
//
// # Writing a plugin
//
// A plugin is a factory and a main whose body is one call:
//
//	func New(cfg Config, h sdk.Host) (sdk.Plugin, error)
//	func main() { sdk.Serve(New) }
//
// Config is the plugin's `config { }` block, decoded with gohcl tags
// (`hcl:"greeting,optional"`; unknown attributes are errors at their
// file:line:col; env("NAME") works). Give *Config a Defaults method for
// defaults and a Validate method for checks: return AttrError values
// (joined with errors.Join) and each is reported at its attribute's
// position. A plugin without settings takes struct{}.
//
// The Plugin describes itself with Info: its Router (routes under /v1,
// net/http patterns), its event types with the JSON Schema of their data
// (Schema[T] writes it from the payload struct), the room kinds it
// authorizes, the event types it subscribes to, and its Migrations. The
// SDK adds the plugin's name (its block's name in the config file) and the
// API version, and serves the Router's routes; there is no Handle to
// write. See plugins/examples/hello for the smallest plugin and
// plugins/examples/labels for a whole domain on one page.
//
// # Routes
//
// The core authenticates the caller (JWT) before forwarding: Request has
// the Principal (Request.Caller answers 401 without one) and the
// correlation id. A handler returns a Response (JSON, NoContent; nil means
// 204) or an *Error (BadRequest, Forbidden, NotFound, Conflict,
// PreconditionFailed, possibly wrapped); any other error, or a panic, is
// logged and answered 500. Call is that one path, used for the core and by
// sdktest alike. ValidID and NewID check and make ids; ProjectMember
// checks that the caller is a member of a project (asking the projects
// plugin); Find reads a row or answers 404. Versioned resources answer
// their version as ETag (WithVersion) and guard changes with If-Match:
// IfMatch reads the header, and its Check, run in the transaction on the
// row just read, answers 412.
//
// # Data and migrations
//
// Host.DB opens the plugin's database: SQLite under the plugin's data
// directory, or PostgreSQL when the plugin block gives
// `database = "postgres://…"`. Name tables after the plugin (tasks_tasks):
// several plugins may share one database. Schema changes are Migrations,
// listed oldest first in Info.Migrations and never edited once shipped;
// the SDK applies the new ones at start (bun/migrate, each in a
// transaction, under its lock so that several nodes may start at once)
// and records them in sb_migrations_NAME. CreateTables and SQL make the
// steps; CreateTables uses IF NOT EXISTS, so a first migration adopts the
// tables of a database made before migrations existed.
//
// # Events and the outbox
//
// Change your data and record your events in one transaction with Host.Tx:
//
//	err := h.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
//		if _, err := tx.NewInsert().Model(task).Exec(ctx); err != nil {
//			return err
//		}
//		emit(sdk.NewEvent("pm.task.created", payload).To("project:"+pid, "task:"+id).For(r))
//		return nil
//	})
//
// The events go to the plugin's outbox table in the same transaction. A
// relay streams the outbox to the core in order; each event is stored in
// history (once per room, deduplicated by its id) before the next is sent.
// If NATS is down, the core restarts or the plugin is killed, the events
// wait in the outbox and are delivered later, in order, exactly once. An
// event whose data does not match its declared schema is rejected by the
// core: it stays in the outbox marked failed, the error is logged, and the
// events after it go on.
//
// # Rooms and access
//
// For the room kinds in Info.RoomKinds, the core asks the plugin's
// Authorize (implement Authorizer) when a client joins. To decide about a
// room someone else owns — is this caller a member of project P? — ask the
// host: Host.Authorize(ctx, principal, "project:"+P), or ProjectMember.
// When access ends (a member removed, a project deleted), emit
// sdk.RevokeAccess(rev) in the transaction of the change: the revocation
// is written to the outbox with it (a crash cannot separate them) and
// applied after the events emitted before it; the users' connections
// leave the rooms and receive access.revoked. Host.Revoke does the same
// outside a transaction.
//
// # Subscriptions
//
// A plugin that keeps a projection of another plugin's data lists the event
// types in Info.Subscriptions and implements EventHandler. Events arrive at
// least once, one at a time, in the order they were stored, from a durable
// consumer that survives restarts: make handlers idempotent.
//
// # Testing
//
// sdktest.Start starts a plugin in-process as Serve does (Validate, the
// factory, the migrations) on a Host that records what it emits and
// revokes; sdktest.Each runs a test on SQLite and on PostgreSQL. Env.Do
// answers requests through Call, and every emitted event is checked
// against its schema. sdktest also fakes the projects plugin's membership
// answers (WithMembers) and exercises a versioned resource's ETag and
// If-Match (CheckIfMatch).
package sdk
