package phases

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// optDate is a PATCH date field that tells absent (Set false), null (Set,
// Value nil) and a date apart.
type optDate struct {
	Set   bool
	Value *string
}

func (o *optDate) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	o.Value = &s
	return nil
}

// createInput is the body of POST /projects/{id}/phases.
type createInput struct {
	Name     *string `json:"name"`
	StartsOn *string `json:"startsOn"`
	EndsOn   *string `json:"endsOn"`
}

// patchInput is the body of PATCH /phases/{id}; absent fields keep their
// value, and null dates clear them.
type patchInput struct {
	Name     *string `json:"name"`
	StartsOn optDate `json:"startsOn"`
	EndsOn   optDate `json:"endsOn"`
	Status   *string `json:"status"`
}

// checkName trims and validates a name.
func checkName(s *string) (string, error) {
	if s == nil {
		return "", sdk.BadRequest("name is required")
	}
	n := strings.TrimSpace(*s)
	if n == "" || utf8.RuneCountInString(n) > maxName {
		return "", sdk.BadRequest("name must be 1 to %d characters", maxName)
	}
	return n, nil
}

// checkDate validates an optional date (YYYY-MM-DD) named field.
func checkDate(field string, s *string) error {
	if s == nil {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, *s); err != nil {
		return sdk.BadRequest("%s must be a date YYYY-MM-DD, got %q", field, *s)
	}
	return nil
}

// checkSpan refuses a phase that ends before it starts.
func checkSpan(startsOn, endsOn *string) error {
	if startsOn != nil && endsOn != nil && *endsOn < *startsOn {
		return sdk.BadRequest("endsOn %s is before startsOn %s", *endsOn, *startsOn)
	}
	return nil
}

func (in *createInput) check() error {
	n, err := checkName(in.Name)
	if err != nil {
		return err
	}
	in.Name = &n
	if err := checkDate("startsOn", in.StartsOn); err != nil {
		return err
	}
	if err := checkDate("endsOn", in.EndsOn); err != nil {
		return err
	}
	return checkSpan(in.StartsOn, in.EndsOn)
}

func (in *patchInput) check() error {
	if in.Name != nil {
		n, err := checkName(in.Name)
		if err != nil {
			return err
		}
		in.Name = &n
	}
	if err := checkDate("startsOn", in.StartsOn.Value); err != nil {
		return err
	}
	if err := checkDate("endsOn", in.EndsOn.Value); err != nil {
		return err
	}
	if in.Status != nil && !validStatus(*in.Status) {
		return sdk.BadRequest("status must be one of planned, active, completed; got %q", *in.Status)
	}
	return nil
}
