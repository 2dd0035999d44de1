package labels

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

var (
	ann = &sdk.Principal{User: "ann"} // member of p1 and p2
	bob = &sdk.Principal{User: "bob"} // member of p2
)

var members = map[string][]string{"p1": {"ann"}, "p2": {"ann", "bob"}}

func each(t *testing.T, fn func(t *testing.T, e *sdktest.Env)) {
	sdktest.Each(t, "labels", New, struct{}{}, fn, sdktest.WithMembers(members))
}

// deliver hands the plugin an event of the tasks or projects plugin.
func deliver(t *testing.T, e *sdktest.Env, typ string, data map[string]string) {
	t.Helper()
	b, _ := json.Marshal(data)
	if err := e.Plugin.(sdk.EventHandler).HandleEvent(context.Background(), &sdk.Delivery{ID: sdk.NewID(), Type: typ, Data: b}); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
}

func create(t *testing.T, e *sdktest.Env, pid, name string) *Label {
	t.Helper()
	res := e.Do("POST", "/projects/{id}/labels", sdktest.Params("id", pid), map[string]string{"name": name, "color": "#1f77b4"}, ann)
	l := sdktest.Decode[*Label](t, res.Want(t, 201))
	ev := e.One("pm.label.created")
	if got := ev.Data.(*Label); *got != *l || !slices.Equal(ev.Rooms, []string{"project:" + pid}) || ev.Actor != "ann" {
		t.Errorf("event %+v to %v by %s, want %+v", got, ev.Rooms, ev.Actor, l)
	}
	return l
}

func TestCreateAndList(t *testing.T) {
	each(t, func(t *testing.T, e *sdktest.Env) {
		create(t, e, "p1", " urgent ")
		create(t, e, "p1", "bug")
		create(t, e, "p2", "other")
		for _, body := range []string{`{"name":"","color":"#000000"}`, `{"name":"x","color":"red"}`, `{"name":"x"}`,
			`{"name":"x","color":"#000000","id":"mine"}`, `not json`} {
			if res := e.Do("POST", "/projects/{id}/labels", sdktest.Params("id", "p1"), body, ann); res.Status != 400 {
				t.Errorf("%s: %d %s", body, res.Status, res.Code)
			}
		}
		e.Do("POST", "/projects/{id}/labels", sdktest.Params("id", "p1"), `{"name":"x","color":"#000000"}`, bob).Want(t, 403)
		e.Do("POST", "/projects/{id}/labels", sdktest.Params("id", "p9"), `{"name":"x","color":"#000000"}`, ann).Want(t, 404)
		e.Do("POST", "/projects/{id}/labels", sdktest.Params("id", "p1"), `{"name":"x","color":"#000000"}`, nil).Want(t, 401)
		list := sdktest.Decode[struct{ Items []Label }](t, e.Do("GET", "/projects/{id}/labels", sdktest.Params("id", "p1"), nil, ann).Want(t, 200))
		var names []string
		for _, l := range list.Items {
			names = append(names, l.Name)
		}
		if !slices.Equal(names, []string{"bug", "urgent"}) {
			t.Errorf("labels of p1: %v", names)
		}
		e.Do("GET", "/projects/{id}/labels", sdktest.Params("id", "p1"), nil, bob).Want(t, 403)
		if len(e.Events()) != 0 {
			t.Errorf("refused requests emitted events")
		}
	})
}

func TestAttachDetach(t *testing.T) {
	each(t, func(t *testing.T, e *sdktest.Env) {
		l := create(t, e, "p1", "bug")
		deliver(t, e, "pm.task.created", map[string]string{"id": "t1", "projectId": "p1", "title": "x"})
		deliver(t, e, "pm.task.created", map[string]string{"id": "t1", "projectId": "p1"}) // redelivered
		deliver(t, e, "pm.task.created", map[string]string{"id": "t2", "projectId": "p2"})
		at := func(tid string) map[string]string { return sdktest.Params("id", tid, "labelId", l.ID) }
		want := Attachment{LabelID: l.ID, TaskID: "t1", ProjectID: "p1"}
		for _, step := range []struct {
			method string
			event  string
		}{{"PUT", "pm.label.attached"}, {"PUT", ""}, {"DELETE", "pm.label.detached"}, {"DELETE", ""}} {
			e.Do(step.method, "/tasks/{id}/labels/{labelId}", at("t1"), nil, ann).Want(t, 204)
			evs := e.Events()
			if step.event == "" {
				if len(evs) != 0 {
					t.Errorf("%s again emitted %v", step.method, sdktest.Types(evs))
				}
				continue
			}
			ev := sdktest.OneEvent(t, evs, step.event)
			if *ev.Data.(*Attachment) != want || !slices.Equal(ev.Rooms, []string{"project:p1", "task:t1"}) {
				t.Errorf("%s: %+v to %v", step.event, ev.Data, ev.Rooms)
			}
		}
		e.Do("PUT", "/tasks/{id}/labels/{labelId}", at("t2"), nil, ann).Want(t, 404) // a task of another project
		e.Do("PUT", "/tasks/{id}/labels/{labelId}", at("t3"), nil, ann).Want(t, 404) // unknown task
		e.Do("PUT", "/tasks/{id}/labels/{labelId}", sdktest.Params("id", "t1", "labelId", "nope"), nil, ann).Want(t, 404)
		e.Do("PUT", "/tasks/{id}/labels/{labelId}", at("t1"), nil, bob).Want(t, 403)
		if len(e.Events()) != 0 {
			t.Errorf("refused requests emitted events")
		}
	})
}

func TestDeletes(t *testing.T) {
	each(t, func(t *testing.T, e *sdktest.Env) {
		l1, l2, l3 := create(t, e, "p1", "a"), create(t, e, "p1", "b"), create(t, e, "p2", "c")
		for _, task := range [][2]string{{"t1", "p1"}, {"t2", "p1"}, {"t3", "p2"}} {
			deliver(t, e, "pm.task.created", map[string]string{"id": task[0], "projectId": task[1]})
		}
		for _, a := range [][2]string{{"t1", l1.ID}, {"t2", l1.ID}, {"t2", l2.ID}, {"t3", l3.ID}} {
			e.Do("PUT", "/tasks/{id}/labels/{labelId}", sdktest.Params("id", a[0], "labelId", a[1]), nil, ann).Want(t, 204)
		}
		e.Events()
		count := func(table, where string, args ...any) int {
			t.Helper()
			n, err := e.Host.CountRows(t, table, where, args...)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		e.Do("DELETE", "/labels/{id}", sdktest.Params("id", l1.ID), nil, bob).Want(t, 403)
		e.Do("DELETE", "/labels/{id}", sdktest.Params("id", l1.ID), nil, ann).Want(t, 204)
		if ev := e.One("pm.label.deleted"); ev.Data.(*Label).ID != l1.ID || !slices.Equal(ev.Rooms, []string{"project:p1"}) {
			t.Errorf("deleted %+v to %v", ev.Data, ev.Rooms)
		}
		if n := count("labels_attachments", "label_id = ?", l1.ID); n != 0 {
			t.Errorf("%d attachments of a deleted label", n)
		}
		e.Do("DELETE", "/labels/{id}", sdktest.Params("id", l1.ID), nil, ann).Want(t, 404)

		deliver(t, e, "pm.task.deleted", map[string]string{"id": "t2", "projectId": "p1"})
		if n := count("labels_attachments", "task_id = ?", "t2"); n != 0 {
			t.Errorf("%d attachments of a deleted task", n)
		}
		for range 2 { // the second is a redelivery
			deliver(t, e, "pm.project.deleted", map[string]string{"id": "p1", "workspaceId": "w"})
		}
		if n := count("labels_labels", "project_id = ?", "p1") + count("labels_tasks", "project_id = ?", "p1"); n != 0 {
			t.Errorf("%d rows of a deleted project", n)
		}
		if n := count("labels_attachments", "project_id = ?", "p2"); n != 1 {
			t.Errorf("another project's attachments: %d, want 1", n)
		}
		deliver(t, e, "pm.task.deleted", map[string]string{"id": "t-unknown"})
		if len(e.Events()) != 0 {
			t.Errorf("projection changes emitted events")
		}
	})
}

func TestInfo(t *testing.T) {
	e := sdktest.Start(t, "labels", New, sdktest.Config[struct{}](t, ""), "")
	in := e.Info()
	if in.Name != "labels" || in.APIVersion != sdk.APIVersion1 || len(in.Routes) != 5 || len(in.Subscriptions) != 3 {
		t.Errorf("info = %+v", in)
	}
	sdktest.CheckPayloads(t, in.Events, map[string]any{"pm.label.created": Label{}, "pm.label.deleted": Label{},
		"pm.label.attached": Attachment{}, "pm.label.detached": Attachment{}})
	if _, err := sdk.DecodeConfig[struct{}]("config.hcl", []byte(`color = "red"`)); err == nil {
		t.Errorf("an attribute the plugin does not have was accepted")
	}
}
