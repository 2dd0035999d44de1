package projects

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// Event types emitted by the projects plugin.
const (
	EventProjectCreated = "pm.project.created"
	EventProjectUpdated = "pm.project.updated"
	EventProjectDeleted = "pm.project.deleted"
	EventMemberAdded    = "pm.team.member_added"
	EventMemberUpdated  = "pm.team.member_updated"
	EventMemberRemoved  = "pm.team.member_removed"
)

// Limits on user input, mirrored in the schemas below.
const (
	maxName        = 200
	maxDescription = 1000
)

// ProjectData is a project as the HTTP API returns it and as the
// pm.project.* events carry it. Its schema is projectSchema.
type ProjectData struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspaceId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedBy   string `json:"createdBy"`
	Version     int64  `json:"version"`
}

// projectSchema is the JSON Schema of ProjectData.
const projectSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Project",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "workspaceId", "name", "description", "createdBy", "version"],
  "properties": {
    "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "workspaceId": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 1000},
    "createdBy": {"type": "string", "minLength": 1},
    "version": {"type": "integer", "minimum": 1}
  }
}`

// MemberData is a project membership as the HTTP API returns it and as the
// pm.team.* events carry it. Its schema is memberSchema.
type MemberData struct {
	ProjectID string `json:"projectId"`
	UserID    string `json:"userId"`
	Role      string `json:"role"`
}

// memberSchema is the JSON Schema of MemberData.
const memberSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Project member",
  "type": "object",
  "additionalProperties": false,
  "required": ["projectId", "userId", "role"],
  "properties": {
    "projectId": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "userId": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "role": {"enum": ["owner", "admin", "member"]}
  }
}`

// eventTypes declares every event the plugin emits.
func eventTypes() []sdk.EventType {
	p, m := []byte(projectSchema), []byte(memberSchema)
	both := []string{"workspace:{workspaceId}", "project:{id}"}
	team := []string{"project:{projectId}", "user:{userId}"}
	return []sdk.EventType{
		{Type: EventProjectCreated, Schema: p, Rooms: []string{"workspace:{workspaceId}"}, Description: "A project was created; its creator is its owner."},
		{Type: EventProjectUpdated, Schema: p, Rooms: both, Description: "A project's name or description changed."},
		{Type: EventProjectDeleted, Schema: p, Rooms: both, Description: "A project was deleted; data is the project at its final version."},
		{Type: EventMemberAdded, Schema: m, Rooms: team, Description: "A user joined a project."},
		{Type: EventMemberUpdated, Schema: m, Rooms: team, Description: "A member's role changed."},
		{Type: EventMemberRemoved, Schema: m, Rooms: team, Description: "A member left or was removed; role is the one they had."},
	}
}

func projectEvent(typ string, r *sdk.Request, d ProjectData) *sdk.Event {
	ev := sdk.NewEvent(typ, d).To("workspace:" + d.WorkspaceID)
	if typ != EventProjectCreated {
		ev.To("project:" + d.ID)
	}
	return ev.About("project/" + d.ID).For(r)
}

func memberEvent(typ string, r *sdk.Request, d MemberData) *sdk.Event {
	return sdk.NewEvent(typ, d).To("project:"+d.ProjectID, "user:"+d.UserID).
		About("project/" + d.ProjectID + "/members/" + d.UserID).For(r)
}
