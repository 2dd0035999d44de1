package tasks

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// migrations are the plugin's schema changes, oldest first; append, never
// edit. The first adopts the tables made before migrations existed.
var migrations = []sdk.Migration{
	{Name: "tasks", Up: sdk.CreateTables(sdk.Table{Model: (*task)(nil), Indexes: []sdk.Index{
		{Name: "tasks_tasks_project_idx", Columns: []string{"project_id", "id"}},
		{Name: "tasks_tasks_assignee_idx", Columns: []string{"project_id", "assignee_id"}},
	}})},
}
