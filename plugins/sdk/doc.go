// Package sdk is the one package a Switchboard plugin imports. A plugin is
// a separate process that owns a project-management domain (its routes,
// its data, its event types, the rooms it decides on); the core starts it,
// routes HTTP to it, checks and delivers its events, and restarts it if it
// dies. go-plugin, gRPC, protobuf and the outbox stay behind this package.
//
// # Writing a plugin
//
// A plugin is a main package whose main is one call:
//
//	func main() { sdk.Serve(New) }
//
// New receives the plugin's config block, decoded into the type you choose
// (gohcl tags; unknown attributes are errors that name the plugin and the
// file:line:col; env("NAME") works; implement Defaulter for defaults), and
// the Host:
//
//	type Config struct {
//		Greeting string `hcl:"greeting,optional"`
//	}
//
//	func New(cfg Config, h sdk.Host) (sdk.Plugin, error)
//
// The Plugin describes itself with Info — routes (use a Router), event
// types with the JSON Schema of their data, the room kinds it owns, and the
// event types it subscribes to — and serves requests with Handle. See
// plugins/examples/hello for the smallest complete plugin, and
// plugins/tasks for a full domain.
//
// # Routes
//
// Routes are mounted under /v1 with net/http patterns ("/projects/{id}").
// The core authenticates the caller (JWT) before forwarding: Request has
// the Principal and the correlation id. Return a Response (JSON, NoContent)
// or an *Error (BadRequest, Forbidden, NotFound, Conflict,
// PreconditionFailed); any other error is logged and answered 500.
// Versioned resources answer their version as ETag (WithVersion) and
// guard changes with If-Match: IfMatch reads the header, and its Check,
// run in the transaction on the row just read, answers 412.
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
// core: it stays in the outbox marked failed, and the error is logged.
//
// Host.DB opens the plugin's database: SQLite under the plugin's data
// directory, or PostgreSQL when the config block gives
// `database = "postgres://…"`. Prefix your tables with the plugin's name:
// several plugins may share one database. OpenTables opens it and creates
// the tables and indexes a plugin declares (see plugins/tasks/migrate.go).
//
// # Rooms and access
//
// For the room kinds in Info.RoomKinds, the core asks the plugin's
// Authorize (implement Authorizer) when a client joins. To decide about a
// room someone else owns — is this caller a member of project P? — ask the
// host: Host.Authorize(ctx, principal, "project:"+P). When access ends
// (a member removed, a project deleted), Host.Revoke makes the users'
// connections leave the rooms at once; they receive access.revoked.
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
// sdktest runs a plugin in-process with a Host that records what it emits
// and revokes, on a real SQLite database (or PostgreSQL by DSN). It also
// checks event schemas, fakes the projects plugin's membership answers
// (Projects), and exercises a versioned resource's ETag and If-Match
// (CheckIfMatch).
package sdk
