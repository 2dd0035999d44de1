// Package catalog builds the AsyncAPI 3 description of the events a node
// delivers, from the core's own events and each loaded plugin's declared
// event types and JSON Schemas: `switchboard catalog` and GET /v1/catalog
// serve it.
package catalog

import (
	"encoding/json"
	"sort"

	"go.yaml.in/yaml/v3"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// presenceSchema is the data of presence.join / presence.leave
// (docs/PROTOCOL.md §8): the display claims are there when the token has
// them.
const presenceSchema = `{"type":"object","required":["userId"],"properties":{"userId":{"type":"string"},"name":{"type":"string"},"email":{"type":"string"},"avatar":{"type":"string","description":"URL of the user's picture"},"room":{"type":"string"}}}`

// revokedSchema is the data of access.revoked.
const revokedSchema = `{"type":"object","required":["room"],"properties":{"room":{"type":"string"},"reason":{"type":"string"}}}`

type message struct {
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title,omitempty"`
	Summary     string   `yaml:"summary,omitempty"`
	Description string   `yaml:"description,omitempty"`
	Payload     any      `yaml:"payload"`
	XRooms      []string `yaml:"x-rooms,omitempty"`
	XSource     string   `yaml:"x-source"`
	schema      string   // the payload's JSON Schema as declared (TypeScript keeps its order)
}

// messages are the core's events and the plugins', by type, with the
// types sorted.
func messages(plugins []*pluginv1.GetInfoResponse) (map[string]message, []string) {
	msgs := map[string]message{
		"presence.join":  {Name: "presence.join", Summary: "A user's first connection joined the room (live only, no seq).", Payload: raw(presenceSchema), XSource: "switchboard/presence", schema: presenceSchema},
		"presence.leave": {Name: "presence.leave", Summary: "A user's last connection left the room (live only, no seq).", Payload: raw(presenceSchema), XSource: "switchboard/presence", schema: presenceSchema},
		"access.revoked": {Name: "access.revoked", Summary: "This connection was made to leave the room (live only, no seq).", Payload: raw(revokedSchema), XSource: "switchboard", schema: revokedSchema},
	}
	for _, p := range plugins {
		for _, et := range p.Events {
			msgs[et.Type] = message{Name: et.Type, Summary: et.Description, Payload: raw(string(et.Schema)),
				XRooms: et.Rooms, XSource: "switchboard/plugins/" + p.Name, schema: string(et.Schema)}
		}
	}
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	return msgs, names
}

// Document returns the catalogue of the core's events and the plugins'.
func Document(plugins []*pluginv1.GetInfoResponse) []byte {
	msgs, names := messages(plugins)
	refs := yaml.Node{Kind: yaml.MappingNode}
	comps := yaml.Node{Kind: yaml.MappingNode}
	for _, n := range names {
		var ref, comp yaml.Node
		_ = ref.Encode(map[string]string{"$ref": "#/components/messages/" + n})
		_ = comp.Encode(msgs[n])
		refs.Content = append(refs.Content, str(n), &ref)
		comps.Content = append(comps.Content, str(n), &comp)
	}
	doc := map[string]any{
		"asyncapi": "3.0.0",
		"info": map[string]any{
			"title":       "Switchboard events",
			"version":     "1.0.0",
			"description": "Events a Switchboard node delivers to rooms, each wrapped in a CloudEvents 1.0 JSON envelope; payloads are the envelopes' data.",
		},
		"defaultContentType": "application/cloudevents+json",
		"channels": map[string]any{
			"room": map[string]any{
				"address":     "{kind}:{id}",
				"description": "A room. Clients join it over WebSocket (/v1/ws) or SSE (/v1/sse).",
				"parameters": map[string]any{
					"kind": map[string]string{"description": "user, workspace, project, task, or a kind a plugin owns."},
					"id":   map[string]string{"description": "[A-Za-z0-9_.-]{1,128}"},
				},
				"messages": &refs,
			},
		},
		"operations": map[string]any{
			"receive": map[string]any{"action": "receive", "channel": map[string]string{"$ref": "#/channels/room"}},
		},
		"components": map[string]any{"messages": &comps},
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		panic("catalog: " + err.Error()) // every value above is plain data
	}
	return b
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// raw decodes a JSON Schema so it is written as YAML; a schema that is not
// JSON is kept as a string.
func raw(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	return v
}
