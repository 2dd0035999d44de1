package phases

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// Event types emitted by the phases plugin; all go to project:{projectId}.
const (
	EventPhaseCreated   = "pm.phase.created"
	EventPhaseUpdated   = "pm.phase.updated"
	EventPhaseStarted   = "pm.phase.started"
	EventPhaseCompleted = "pm.phase.completed"
	EventPhaseDeleted   = "pm.phase.deleted"
)

// maxName is the longest phase name, mirrored in phaseSchema.
const maxName = 200

// PhaseData is a phase as the HTTP API returns it and as every pm.phase.*
// event carries it. StartsOn and EndsOn are dates (YYYY-MM-DD) or null.
// Its schema is phaseSchema.
type PhaseData struct {
	ID        string  `json:"id"`
	ProjectID string  `json:"projectId"`
	Name      string  `json:"name"`
	Status    string  `json:"status"`
	StartsOn  *string `json:"startsOn"`
	EndsOn    *string `json:"endsOn"`
	Version   int64   `json:"version"`
}

// phaseSchema is the JSON Schema of PhaseData.
const phaseSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Phase",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "projectId", "name", "status", "startsOn", "endsOn", "version"],
  "properties": {
    "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "projectId": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "status": {"enum": ["planned", "active", "completed"]},
    "startsOn": {"type": ["string", "null"], "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "endsOn": {"type": ["string", "null"], "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "version": {"type": "integer", "minimum": 1}
  }
}`

// eventTypes declares every event the plugin emits.
func eventTypes() []sdk.EventType {
	s, rooms := []byte(phaseSchema), []string{"project:{projectId}"}
	return []sdk.EventType{
		{Type: EventPhaseCreated, Schema: s, Rooms: rooms, Description: "A phase was added to a project (status planned)."},
		{Type: EventPhaseUpdated, Schema: s, Rooms: rooms, Description: "A phase changed (name, dates or status)."},
		{Type: EventPhaseStarted, Schema: s, Rooms: rooms, Description: "A phase became active; follows its pm.phase.updated."},
		{Type: EventPhaseCompleted, Schema: s, Rooms: rooms, Description: "A phase was completed; follows its pm.phase.updated."},
		{Type: EventPhaseDeleted, Schema: s, Rooms: rooms, Description: "A phase was deleted; data is the phase at its final version."},
	}
}

func phaseEvent(typ string, r *sdk.Request, d PhaseData) *sdk.Event {
	return sdk.NewEvent(typ, d).To("project:" + d.ProjectID).About("phase/" + d.ID).For(r)
}
