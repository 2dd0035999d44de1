// Package phases is the bundled phases plugin: the phases of a project,
// each planned, then active, then completed.
//
// Routes (under /v1):
//
//	POST   /projects/{id}/phases  {name, startsOn?, endsOn?}         → 201, pm.phase.created
//	GET    /projects/{id}/phases  ?limit&offset
//	GET    /phases/{id}
//	PATCH  /phases/{id}           {name?, startsOn?, endsOn?, status?} pm.phase.updated (+ .started / .completed)
//	DELETE /phases/{id}                                              pm.phase.deleted
//
// Every event goes to project:{projectId} and carries the whole phase
// {id, projectId, name, status, startsOn, endsOn, version}; dates are
// YYYY-MM-DD or null, and version grows by one on every change.
//
// The plugin keeps no membership data: before every read or write it asks
// the owner of room project:{projectId} (the projects plugin) through
// sdk.Host.Authorize, and returns its refusal (403, 404) as is.
package phases
