package comments

import (
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Event types emitted by the plugin, and those it subscribes to.
const (
	CommentCreated = "pm.comment.created"
	CommentUpdated = "pm.comment.updated"
	CommentDeleted = "pm.comment.deleted"

	TaskCreated    = "pm.task.created"
	TaskDeleted    = "pm.task.deleted"
	ProjectDeleted = "pm.project.deleted"
)

// Each payload type sits next to its JSON Schema (draft 2020-12); a test
// checks that the two list the same fields and that every emitted payload
// validates.

// Comment is the data of pm.comment.created and pm.comment.updated (the
// whole comment after the change), and a comment in the HTTP API.
type Comment struct {
	ID        string    `json:"id"`
	TaskID    string    `json:"taskId"`
	ProjectID string    `json:"projectId"`
	AuthorID  string    `json:"authorId"`
	Body      string    `json:"body"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

var commentSchema = []byte(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "taskId", "projectId", "authorId", "body", "version", "createdAt", "updatedAt"],
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "taskId": {"type": "string", "minLength": 1},
    "projectId": {"type": "string", "minLength": 1},
    "authorId": {"type": "string", "minLength": 1},
    "body": {"type": "string", "minLength": 1},
    "version": {"type": "integer", "minimum": 1},
    "createdAt": {"type": "string", "format": "date-time"},
    "updatedAt": {"type": "string", "format": "date-time"}
  }
}`)

// Deleted is the data of pm.comment.deleted. Version is the comment's
// last version plus one: the deletion is a change too.
type Deleted struct {
	ID        string `json:"id"`
	TaskID    string `json:"taskId"`
	ProjectID string `json:"projectId"`
	Version   int64  `json:"version"`
}

var deletedSchema = []byte(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "taskId", "projectId", "version"],
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "taskId": {"type": "string", "minLength": 1},
    "projectId": {"type": "string", "minLength": 1},
    "version": {"type": "integer", "minimum": 2}
  }
}`)

// EventTypes lists the event types the plugin emits, for Info.Events.
func EventTypes() []sdk.EventType {
	rooms := []string{"project:{projectId}", "task:{taskId}"}
	return []sdk.EventType{
		{Type: CommentCreated, Schema: commentSchema, Rooms: rooms, Description: "A comment was added to a task; data is the comment."},
		{Type: CommentUpdated, Schema: commentSchema, Rooms: rooms, Description: "A comment was edited; data is the whole comment after the change."},
		{Type: CommentDeleted, Schema: deletedSchema, Rooms: rooms, Description: "A comment was deleted."},
	}
}

// event addresses an event about c to its project's and its task's room.
func event(typ string, data any, c *comment, r *sdk.Request) *sdk.Event {
	return sdk.NewEvent(typ, data).To("project:"+c.ProjectID, "task:"+c.TaskID).About("comment/" + c.ID).For(r)
}
