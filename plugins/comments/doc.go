// Package comments is the bundled comments plugin: comments on tasks,
// versioned like tasks, that only their author may change or delete.
//
// Routes (under /v1):
//
//	POST   /tasks/{id}/comments   pm.comment.created
//	GET    /tasks/{id}/comments   ?limit= &offset=
//	GET    /comments/{id}         ETag: "<version>"
//	PATCH  /comments/{id}         pm.comment.updated (author only; If-Match optional)
//	DELETE /comments/{id}         pm.comment.deleted (author only; If-Match optional)
//
// Every event goes to project:{projectId} and task:{taskId}. The plugin
// learns which project a task belongs to from the tasks plugin's events
// (pm.task.created, pm.task.deleted) and pm.project.deleted, kept in the
// comments_tasks projection; a task it has not heard of (yet) is a 404.
// When a task or project is deleted its comments are deleted without
// events of their own.
package comments
