package comments

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// migrations are the plugin's schema changes, oldest first; append, never
// edit. The first adopts the tables made before migrations existed.
var migrations = []sdk.Migration{
	{Name: "comments_tasks", Up: sdk.CreateTables(
		sdk.Table{Model: (*comment)(nil), Indexes: []sdk.Index{
			{Name: "comments_comments_task_idx", Columns: []string{"task_id", "id"}},
			{Name: "comments_comments_project_idx", Columns: []string{"project_id"}},
		}},
		sdk.Table{Model: (*taskRef)(nil), Indexes: []sdk.Index{
			{Name: "comments_tasks_project_idx", Columns: []string{"project_id"}},
		}},
	)},
}
