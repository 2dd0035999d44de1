// Package tasks is the bundled tasks plugin: the tasks of a project, with
// a version that grows by one on every change (If-Match on PATCH and
// DELETE), and the owner of the task:T rooms (members of the task's
// project may join, as the projects plugin decides).
//
// Routes (under /v1):
//
//	POST   /projects/{id}/tasks   pm.task.created (+ .assigned with an assignee)
//	GET    /projects/{id}/tasks   ?status= &assigneeId= &limit= &offset=
//	GET    /tasks/{id}            ETag: "<version>"
//	PATCH  /tasks/{id}            pm.task.updated (+ .status_changed, .assigned)
//	DELETE /tasks/{id}            pm.task.deleted
//
// Every event goes to project:{projectId} and task:{id}; pm.task.assigned
// also goes to user:{assigneeId}. An assignee must be a project member
// (400 otherwise). When pm.project.deleted arrives, the
// project's tasks are deleted without events of their own: the project's
// deletion is the event.
package tasks
