package phases

import (
	"reflect"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// TestPayloadsMatchSchemas keeps each payload struct and its schema in
// step: the same fields, all required, of matching JSON types. (That every
// emitted payload validates is checked by env.events in every test.)
func TestPayloadsMatchSchemas(t *testing.T) {
	for _, p := range []struct {
		payload any
		schema  string
	}{
		{PhaseData{}, phaseSchema},
	} {
		t.Run(reflect.TypeOf(p.payload).Name(), func(t *testing.T) { sdktest.CheckPayload(t, p.payload, []byte(p.schema)) })
	}
}
