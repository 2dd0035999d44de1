package sdktest

import (
	"context"
	"slices"
	"strings"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Projects stands in for the projects plugin when a plugin asks the host
// about project:P rooms: members maps each known project to its members.
// An unknown project (or another room kind) is NotFound, a non-member
// Forbidden. Use it as Host.AuthorizeFunc.
func Projects(members map[string][]string) func(context.Context, sdk.Principal, string) error {
	return func(_ context.Context, p sdk.Principal, room string) error {
		kind, id, _ := strings.Cut(room, ":")
		users, ok := members[id]
		if kind != "project" || !ok {
			return sdk.NotFound("project %s not found", id)
		}
		if !slices.Contains(users, p.User) {
			return sdk.Forbidden("not a member of project %s", id)
		}
		return nil
	}
}
