package tasks

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// tables are the plugin's tables and indexes, created on startup.
var tables = []sdk.Table{
	{Model: (*task)(nil), Indexes: []sdk.Index{
		{Name: "tasks_tasks_project_idx", Columns: []string{"project_id", "id"}},
		{Name: "tasks_tasks_assignee_idx", Columns: []string{"project_id", "assignee_id"}},
	}},
}
