package catalog

import (
	"bytes"
	"strings"
	"testing"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// TestTypeScriptSchemas converts each construct of the subset event
// schemas use.
func TestTypeScriptSchemas(t *testing.T) {
	for _, tc := range []struct{ name, schema, want string }{
		{"object", `{"type":"object","required":["b","a"],"properties":{"b":{"type":"string"},"a":{"type":"integer"},"c":{"type":"boolean","description":"Is it?"}}}`,
			"export interface X {\n  b: string;\n  a: number;\n  /** Is it? */\n  c?: boolean;\n}\n"},
		{"nullable and format", `{"type":"object","required":["at"],"properties":{"at":{"type":["string","null"],"format":"date-time"}}}`,
			"export interface X {\n  /** Format: date-time. */\n  at: string | null;\n}\n"},
		{"enum", `{"enum":["todo","in_progress",null,3]}`, `export type X = "todo" | "in_progress" | null | 3;` + "\n"},
		{"const", `{"const":"x"}`, `export type X = "x";` + "\n"},
		{"array", `{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}`,
			"export type X = Array<{\n  id: string;\n}>;\n"},
		{"nested", `{"type":"object","properties":{"o":{"type":"object","properties":{"n":{"type":"number"}}}}}`,
			"export interface X {\n  o?: {\n    n?: number;\n  };\n}\n"},
		{"record", `{"type":"object","additionalProperties":{"type":"string"}}`, "export type X = Record<string, string>;\n"},
		{"bare object", `{"type":"object"}`, "export type X = Record<string, unknown>;\n"},
		{"any", `{}`, "export type X = unknown;\n"},
		{"ref", `{"$ref":"#/$defs/y"}`, "export type X = unknown;\n"},
		{"union", `{"anyOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]}`, "export type X = string | Array<string>;\n"},
		{"quoted names", `{"type":"object","required":["a-b"],"properties":{"a-b":{"type":"string"},"_ok1":{"type":"string"}}}`,
			"export interface X {\n  \"a-b\": string;\n  _ok1?: string;\n}\n"},
		{"not JSON", `{nope`, "export type X = unknown;\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := string(TypeScript([]*pluginv1.GetInfoResponse{{Name: "p", Events: []*pluginv1.EventType{{Type: "x", Schema: []byte(tc.schema)}}}}))
			i := strings.Index(out, "/** `x` */\n")
			if i < 0 {
				t.Fatalf("no type for x in\n%s", out)
			}
			got := out[i+len("/** `x` */\n"):]
			if tc.name == "not JSON" {
				got = got[strings.Index(got, "\n")+1:] // after the comment that says so
			}
			got = got[:strings.Index(got, "\n\n")+1]
			if got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
			if !strings.Contains(out, "  \"x\": X;\n") {
				t.Fatalf("EventMap lacks x:\n%s", out)
			}
		})
	}
}

// TestTypeScriptNames: names come from the event types, unique, and the
// output does not depend on the plugins' order.
func TestTypeScriptNames(t *testing.T) {
	a := &pluginv1.GetInfoResponse{Name: "a", Events: []*pluginv1.EventType{{Type: "pm.task.status_changed", Schema: []byte(`{}`)}, {Type: "pm.task-status.changed", Schema: []byte(`{}`)}}}
	b := &pluginv1.GetInfoResponse{Name: "b", Events: []*pluginv1.EventType{{Type: "9lives", Schema: []byte(`{}`)}}}
	out := TypeScript([]*pluginv1.GetInfoResponse{a, b})
	for _, want := range []string{`"pm.task.status_changed": PmTaskStatusChanged2;`, `"pm.task-status.changed": PmTaskStatusChanged;`,
		`"9lives": E9lives;`, `"presence.join": PresenceJoin;`, `"access.revoked": AccessRevoked;`, "export type EventType = keyof EventMap;"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if again := TypeScript([]*pluginv1.GetInfoResponse{b, a}); !bytes.Equal(out, again) {
		t.Error("output depends on the plugins' order")
	}
}
