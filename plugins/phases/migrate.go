package phases

import "github.com/switchboard-rt/switchboard/plugins/sdk"

// tables are the plugin's tables and indexes, created on startup.
var tables = []sdk.Table{
	{Model: (*phase)(nil), Indexes: []sdk.Index{{Name: "phases_phases_project_idx", Columns: []string{"project_id"}}}},
}
