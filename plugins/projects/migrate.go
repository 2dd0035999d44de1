package projects

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// tables are the plugin's tables and indexes, created on startup; members
// go with their project.
var tables = []sdk.Table{
	{Model: (*project)(nil), Indexes: []sdk.Index{{Name: "projects_projects_workspace_idx", Columns: []string{"workspace_id"}}}},
	{Model: (*member)(nil),
		ForeignKeys: []string{`("project_id") REFERENCES "projects_projects" ("id") ON DELETE CASCADE`},
		Indexes:     []sdk.Index{{Name: "projects_members_user_idx", Columns: []string{"user_id"}}}},
}
