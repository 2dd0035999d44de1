package sdk

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// The plugin's log lines are what go-plugin parses as hclog JSON:
// @level in lower case, @message, and @timestamp in hclog's exact layout
// (go-plugin treats a line whose time does not parse as plain text).
func TestLoggerWritesHclogJSON(t *testing.T) {
	var buf bytes.Buffer
	old := logOut
	logOut = &buf
	t.Cleanup(func() { logOut = old })
	newLogger().Warn("about to fail", "note", "n-1")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%s: %v", buf.Bytes(), err)
	}
	if rec["@level"] != "warn" || rec["@message"] != "about to fail" || rec["note"] != "n-1" {
		t.Errorf("record %v", rec)
	}
	ts, _ := rec["@timestamp"].(string)
	if _, err := time.Parse(hclog.TimeFormatJSON, ts); err != nil {
		t.Errorf("@timestamp %q does not parse as go-plugin expects: %v", ts, err)
	}
}
