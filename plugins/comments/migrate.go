package comments

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// tables are the plugin's tables and indexes, created on startup.
var tables = []sdk.Table{
	{Model: (*comment)(nil), Indexes: []sdk.Index{
		{Name: "comments_comments_task_idx", Columns: []string{"task_id", "id"}},
		{Name: "comments_comments_project_idx", Columns: []string{"project_id"}},
	}},
	{Model: (*taskRef)(nil), Indexes: []sdk.Index{
		{Name: "comments_tasks_project_idx", Columns: []string{"project_id"}},
	}},
}
