package tasks

import (
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Event types emitted by the plugin, and the one it subscribes to.
const (
	TaskCreated       = "pm.task.created"
	TaskUpdated       = "pm.task.updated"
	TaskStatusChanged = "pm.task.status_changed"
	TaskAssigned      = "pm.task.assigned"
	TaskDeleted       = "pm.task.deleted"

	ProjectDeleted = "pm.project.deleted"
)

// Each payload type sits next to its JSON Schema (draft 2020-12); a test
// checks that the two list the same fields and that every emitted payload
// validates.

// Task is the data of pm.task.created and pm.task.updated (the whole task
// after the change), and a task in the HTTP API. PhaseID and AssigneeID
// are null when unset.
type Task struct {
	ID          string    `json:"id"`
	ProjectID   string    `json:"projectId"`
	PhaseID     *string   `json:"phaseId"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	AssigneeID  *string   `json:"assigneeId"`
	Version     int64     `json:"version"`
	CreatedBy   string    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

var taskSchema = []byte(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "projectId", "phaseId", "title", "description", "status", "assigneeId", "version", "createdBy", "createdAt", "updatedAt"],
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "projectId": {"type": "string", "minLength": 1},
    "phaseId": {"type": ["string", "null"], "minLength": 1},
    "title": {"type": "string", "minLength": 1},
    "description": {"type": "string"},
    "status": {"enum": ["todo", "in_progress", "done"]},
    "assigneeId": {"type": ["string", "null"], "minLength": 1},
    "version": {"type": "integer", "minimum": 1},
    "createdBy": {"type": "string"},
    "createdAt": {"type": "string", "format": "date-time"},
    "updatedAt": {"type": "string", "format": "date-time"}
  }
}`)

// StatusChanged is the data of pm.task.status_changed.
type StatusChanged struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
	From      string `json:"from"`
	To        string `json:"to"`
	Version   int64  `json:"version"`
}

var statusChangedSchema = []byte(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "projectId", "from", "to", "version"],
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "projectId": {"type": "string", "minLength": 1},
    "from": {"enum": ["todo", "in_progress", "done"]},
    "to": {"enum": ["todo", "in_progress", "done"]},
    "version": {"type": "integer", "minimum": 2}
  }
}`)

// Assigned is the data of pm.task.assigned; null means unassigned.
type Assigned struct {
	ID                 string  `json:"id"`
	ProjectID          string  `json:"projectId"`
	AssigneeID         *string `json:"assigneeId"`
	PreviousAssigneeID *string `json:"previousAssigneeId"`
	Version            int64   `json:"version"`
}

var assignedSchema = []byte(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "projectId", "assigneeId", "previousAssigneeId", "version"],
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "projectId": {"type": "string", "minLength": 1},
    "assigneeId": {"type": ["string", "null"], "minLength": 1},
    "previousAssigneeId": {"type": ["string", "null"], "minLength": 1},
    "version": {"type": "integer", "minimum": 1}
  }
}`)

// Deleted is the data of pm.task.deleted. Version is the task's last
// version plus one: the deletion is a change too.
type Deleted struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
	Version   int64  `json:"version"`
}

var deletedSchema = []byte(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "projectId", "version"],
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "projectId": {"type": "string", "minLength": 1},
    "version": {"type": "integer", "minimum": 2}
  }
}`)

// EventTypes lists the event types the plugin emits, for Info.Events.
func EventTypes() []sdk.EventType {
	rooms := []string{"project:{projectId}", "task:{id}"}
	return []sdk.EventType{
		{Type: TaskCreated, Schema: taskSchema, Rooms: rooms, Description: "A task was created; data is the task."},
		{Type: TaskUpdated, Schema: taskSchema, Rooms: rooms, Description: "A task changed; data is the whole task after the change."},
		{Type: TaskStatusChanged, Schema: statusChangedSchema, Rooms: rooms,
			Description: "A task's status changed (sent with the pm.task.updated of the same change)."},
		{Type: TaskAssigned, Schema: assignedSchema, Rooms: append(rooms[:2:2], "user:{assigneeId}"),
			Description: "A task's assignee changed (sent with the pm.task.updated of the same change), or a task was created with one (with its pm.task.created); also to the new assignee's room."},
		{Type: TaskDeleted, Schema: deletedSchema, Rooms: rooms, Description: "A task was deleted."},
	}
}

// event addresses an event about t to its project's and its own room.
func event(typ string, data any, t *task, r *sdk.Request) *sdk.Event {
	return sdk.NewEvent(typ, data).To("project:"+t.ProjectID, "task:"+t.ID).About("task/" + t.ID).For(r)
}
