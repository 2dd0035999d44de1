package projects

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// migrations are the plugin's schema changes, oldest first; append, never
// edit. The first adopts the tables made before migrations existed;
// members go with their project.
var migrations = []sdk.Migration{
	{Name: "projects_members", Up: sdk.CreateTables(
		sdk.Table{Model: (*project)(nil), Indexes: []sdk.Index{{Name: "projects_projects_workspace_idx", Columns: []string{"workspace_id"}}}},
		sdk.Table{Model: (*member)(nil),
			ForeignKeys: []string{`("project_id") REFERENCES "projects_projects" ("id") ON DELETE CASCADE`},
			Indexes:     []sdk.Index{{Name: "projects_members_user_idx", Columns: []string{"user_id"}}}},
	)},
}
