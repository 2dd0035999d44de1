// Package labels is an example plugin: labels on a project, put on its
// tasks, for project members only. Routes: POST and GET
// /v1/projects/{id}/labels, DELETE /v1/labels/{id}, PUT and DELETE
// /v1/tasks/{id}/labels/{labelId}; events pm.label.* (see Info).
package labels

import (
	"cmp"
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Label is a label: a row, the API's JSON, pm.label.created/.deleted data.
type Label struct {
	bun.BaseModel `bun:"table:labels_labels" json:"-"`
	ID            string `bun:"id,pk" json:"id" schema:"id"`
	ProjectID     string `bun:"project_id,notnull" json:"projectId" schema:"id"`
	Name          string `bun:"name,notnull" json:"name" schema:"min=1"`
	Color         string `bun:"color,notnull" json:"color" schema:"pattern=^#[0-9a-fA-F]{6}$"`
}

// Attachment is a label on a task, and pm.label.attached/.detached data.
type Attachment struct {
	bun.BaseModel `bun:"table:labels_attachments" json:"-"`
	LabelID       string `bun:"label_id,pk" json:"labelId" schema:"id"`
	TaskID        string `bun:"task_id,pk" json:"taskId" schema:"id"`
	ProjectID     string `bun:"project_id,notnull" json:"projectId" schema:"id"`
}

// task is the project of a task, from the tasks plugin's events.
type task struct {
	bun.BaseModel `bun:"table:labels_tasks"`
	ID            string `bun:"task_id,pk" json:"id"`
	ProjectID     string `bun:"project_id,notnull" json:"projectId"`
}

type plugin struct {
	host sdk.Host
	db   *bun.DB
	rt   *sdk.Router
}

// New makes the plugin (it has no settings): main is sdk.Serve(labels.New).
func New(_ struct{}, h sdk.Host) (sdk.Plugin, error) {
	db, err := h.DB(context.Background())
	if err != nil {
		return nil, err
	}
	p := &plugin{host: h, db: db, rt: sdk.NewRouter()}
	p.rt.Handle("POST", "/projects/{id}/labels", p.create)
	p.rt.Handle("GET", "/projects/{id}/labels", p.list)
	p.rt.Handle("DELETE", "/labels/{id}", p.delete)
	for method, on := range map[string]bool{"PUT": true, "DELETE": false} {
		p.rt.Handle(method, "/tasks/{id}/labels/{labelId}", func(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
			return p.link(ctx, r, on)
		})
	}
	return p, nil
}

func (p *plugin) Info() sdk.Info {
	project, both := []string{"project:{projectId}"}, []string{"project:{projectId}", "task:{taskId}"}
	return sdk.Info{
		Description: "Labels on a project's tasks.",
		Router:      p.rt,
		Events: []sdk.EventType{
			{Type: "pm.label.created", Schema: sdk.Schema[Label](), Rooms: project, Description: "A label was made."},
			{Type: "pm.label.deleted", Schema: sdk.Schema[Label](), Rooms: project, Description: "A label was deleted (and left its tasks)."},
			{Type: "pm.label.attached", Schema: sdk.Schema[Attachment](), Rooms: both, Description: "A label was put on a task."},
			{Type: "pm.label.detached", Schema: sdk.Schema[Attachment](), Rooms: both, Description: "A label was taken off a task."},
		},
		Subscriptions: []string{"pm.task.created", "pm.task.deleted", "pm.project.deleted"},
		Migrations: []sdk.Migration{{Name: "labels", Up: sdk.CreateTables(
			sdk.Table{Model: (*Label)(nil), Indexes: []sdk.Index{{Name: "labels_labels_project_idx", Columns: []string{"project_id", "name"}}}},
			sdk.Table{Model: (*task)(nil)},
			sdk.Table{Model: (*Attachment)(nil), Indexes: []sdk.Index{{Name: "labels_attachments_task_idx", Columns: []string{"task_id"}}},
				ForeignKeys: []string{`("label_id") REFERENCES "labels_labels" ("id") ON DELETE CASCADE`,
					`("task_id") REFERENCES "labels_tasks" ("task_id") ON DELETE CASCADE`}},
		)}},
	}
}

// HandleEvent keeps each task's project; redeliveries change nothing more.
func (p *plugin) HandleEvent(ctx context.Context, d *sdk.Delivery) error {
	var ev task // of pm.project.deleted, ID is the project's
	if err := d.Decode(&ev); err != nil {
		p.host.Logger().Error("labels: unreadable event, skipped", "type", d.Type, "id", d.ID, "err", err)
		return nil
	}
	switch d.Type {
	case "pm.task.created":
		_, err := p.db.NewInsert().Model(&ev).On("CONFLICT DO NOTHING").Exec(ctx)
		return err
	case "pm.task.deleted": // its attachments go with it (ON DELETE CASCADE)
		_, err := p.db.NewDelete().Model(&ev).WherePK().Exec(ctx)
		return err
	}
	_, err := p.db.NewDelete().Model((*Label)(nil)).Where("project_id = ?", ev.ID).Exec(ctx)
	if err == nil {
		_, err = p.db.NewDelete().Model((*task)(nil)).Where("project_id = ?", ev.ID).Exec(ctx)
	}
	return err
}

var color = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// create serves POST /projects/{id}/labels {"name", "color"}.
func (p *plugin) create(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	l := &Label{ID: sdk.NewID(), ProjectID: r.Param("id")}
	if err := sdk.ProjectMember(ctx, p.host, r, l.ProjectID); err != nil {
		return nil, err
	}
	var in struct{ Name, Color string }
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	l.Name, l.Color = strings.TrimSpace(in.Name), in.Color
	if n := utf8.RuneCountInString(l.Name); n < 1 || n > 50 || !color.MatchString(l.Color) {
		return nil, sdk.BadRequest("a label needs a name of 1 to 50 characters and a color such as #1f77b4")
	}
	return sdk.JSON(201, l), p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		emit(sdk.NewEvent("pm.label.created", l).To("project:" + l.ProjectID).For(r))
		_, err := tx.NewInsert().Model(l).Exec(ctx)
		return err
	})
}

// list serves GET /projects/{id}/labels: all of them, by name.
func (p *plugin) list(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	if err := sdk.ProjectMember(ctx, p.host, r, r.Param("id")); err != nil {
		return nil, err
	}
	rows := []Label{}
	err := p.db.NewSelect().Model(&rows).Where("project_id = ?", r.Param("id")).Order("name", "id").Scan(ctx)
	return sdk.JSON(200, map[string]any{"items": rows}), err
}

// label reads label id for a member of its project.
func (p *plugin) label(ctx context.Context, r *sdk.Request, id string) (*Label, error) {
	l := &Label{ID: id}
	if err := sdk.Find(ctx, p.db, l, "label %q not found", id); err != nil {
		return nil, err
	}
	return l, sdk.ProjectMember(ctx, p.host, r, l.ProjectID)
}

// delete serves DELETE /labels/{id}; its attachments go with it.
func (p *plugin) delete(ctx context.Context, r *sdk.Request) (*sdk.Response, error) {
	l, err := p.label(ctx, r, r.Param("id"))
	if err != nil {
		return nil, err
	}
	return nil, p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		emit(sdk.NewEvent("pm.label.deleted", l).To("project:" + l.ProjectID).For(r))
		_, err := tx.NewDelete().Model(l).WherePK().Exec(ctx)
		return err
	})
}

// link serves PUT (on) and DELETE /tasks/{id}/labels/{labelId}; both are
// idempotent. The task must be of the label's project.
func (p *plugin) link(ctx context.Context, r *sdk.Request, on bool) (*sdk.Response, error) {
	l, err := p.label(ctx, r, r.Param("labelId"))
	if err != nil {
		return nil, err
	}
	t := &task{ID: r.Param("id")}
	if err := sdk.Find(ctx, p.db, t, "task %q not found", t.ID); err != nil || t.ProjectID != l.ProjectID {
		return nil, cmp.Or(err, error(sdk.NotFound("task %q is not in project %s", t.ID, l.ProjectID)))
	}
	a := &Attachment{LabelID: l.ID, TaskID: t.ID, ProjectID: l.ProjectID}
	return nil, p.host.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*sdk.Event)) error {
		change, typ := tx.NewDelete().Model(a).WherePK().Exec, "pm.label.detached"
		if on {
			change, typ = tx.NewInsert().Model(a).On("CONFLICT DO NOTHING").Exec, "pm.label.attached"
		}
		if res, err := change(ctx); err != nil {
			return err
		} else if n, _ := res.RowsAffected(); n == 1 { // a change: tell the rooms
			emit(sdk.NewEvent(typ, a).To("project:"+a.ProjectID, "task:"+a.TaskID).For(r))
		}
		return nil
	})
}
