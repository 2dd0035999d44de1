package test

import "encoding/json"

// jsonUnmarshalData decodes the data of a CloudEvent.
func jsonUnmarshalData(event json.RawMessage, v any) error {
	var ev struct{ Data json.RawMessage }
	if err := json.Unmarshal(event, &ev); err != nil {
		return err
	}
	return json.Unmarshal(ev.Data, v)
}
