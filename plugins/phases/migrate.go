package phases

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// migrations are the plugin's schema changes, oldest first; append, never
// edit. The first adopts the table made before migrations existed.
var migrations = []sdk.Migration{
	{Name: "phases", Up: sdk.CreateTables(sdk.Table{Model: (*phase)(nil),
		Indexes: []sdk.Index{{Name: "phases_phases_project_idx", Columns: []string{"project_id"}}}})},
}
