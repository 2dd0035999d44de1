package tasks

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func validStatus(s string) bool {
	return s == StatusTodo || s == StatusInProgress || s == StatusDone
}

// optional is a field of a PATCH body: absent (Set false), null (Null) or
// a value.
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// createInput is the body of POST /projects/{id}/tasks. A null or empty
// phaseId or assigneeId means none.
type createInput struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	PhaseID     *string `json:"phaseId"`
	AssigneeID  *string `json:"assigneeId"`
	Status      *string `json:"status"`
}

// patchInput is the body of PATCH /tasks/{id}: absent fields stay as they
// are; null clears phaseId, assigneeId and description.
type patchInput struct {
	Title       optional[string] `json:"title"`
	Description optional[string] `json:"description"`
	PhaseID     optional[string] `json:"phaseId"`
	AssigneeID  optional[string] `json:"assigneeId"`
	Status      optional[string] `json:"status"`
}

func (c Config) title(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", sdk.BadRequest("title must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > c.MaxTitleLength {
		return "", sdk.BadRequest("title is %d characters long, at most %d are allowed", n, c.MaxTitleLength)
	}
	return s, nil
}

func (c Config) description(s string) (string, error) {
	if n := utf8.RuneCountInString(s); n > c.MaxDescriptionLength {
		return "", sdk.BadRequest("description is %d characters long, at most %d are allowed", n, c.MaxDescriptionLength)
	}
	return s, nil
}

func ref(field, s string) (string, error) {
	if s != "" && !sdk.ValidID(s) {
		return "", sdk.BadRequest("%s must match [A-Za-z0-9_.-]{1,128}, got %q", field, s)
	}
	return s, nil
}

func status(s string) (string, error) {
	if !validStatus(s) {
		return "", sdk.BadRequest("status must be one of todo, in_progress, done; got %q", s)
	}
	return s, nil
}

// task checks the body and makes the new task's fields.
func (in *createInput) task(c Config) (*task, error) {
	t := &task{Status: StatusTodo}
	var err error
	if t.Title, err = c.title(in.Title); err != nil {
		return nil, err
	}
	if t.Description, err = c.description(in.Description); err != nil {
		return nil, err
	}
	if in.PhaseID != nil {
		if t.PhaseID, err = ref("phaseId", *in.PhaseID); err != nil {
			return nil, err
		}
	}
	if in.AssigneeID != nil {
		if t.AssigneeID, err = ref("assigneeId", *in.AssigneeID); err != nil {
			return nil, err
		}
	}
	if in.Status != nil {
		if t.Status, err = status(*in.Status); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// check validates and normalizes the body before it is applied.
func (in *patchInput) check(c Config) error {
	var err error
	switch {
	case in.Title.Set && in.Title.Null:
		return sdk.BadRequest("title must not be null")
	case in.Status.Set && in.Status.Null:
		return sdk.BadRequest("status must not be null")
	}
	if in.Title.Set {
		if in.Title.Value, err = c.title(in.Title.Value); err != nil {
			return err
		}
	}
	if in.Description.Set {
		if in.Description.Value, err = c.description(in.Description.Value); err != nil {
			return err
		}
	}
	if in.PhaseID.Set {
		if in.PhaseID.Value, err = ref("phaseId", in.PhaseID.Value); err != nil {
			return err
		}
	}
	if in.AssigneeID.Set {
		if in.AssigneeID.Value, err = ref("assigneeId", in.AssigneeID.Value); err != nil {
			return err
		}
	}
	if in.Status.Set {
		if in.Status.Value, err = status(in.Status.Value); err != nil {
			return err
		}
	}
	return nil
}

// apply sets the fields of a checked body on t (a null value is the
// zero value) and reports whether anything changed.
func (in *patchInput) apply(t *task) bool {
	changed := false
	set := func(o optional[string], dst *string) {
		if o.Set && o.Value != *dst {
			*dst, changed = o.Value, true
		}
	}
	set(in.Title, &t.Title)
	set(in.Description, &t.Description)
	set(in.PhaseID, &t.PhaseID)
	set(in.AssigneeID, &t.AssigneeID)
	set(in.Status, &t.Status)
	return changed
}
