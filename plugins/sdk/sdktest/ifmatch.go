package sdktest

import (
	"slices"
	"testing"
)

// CheckIfMatch exercises a versioned resource that is at version 1 (see
// sdk.IfMatch): GET answers ETag "1"; PATCH with patch and If-Match "1"
// answers 200 and ETag "2"; PATCH with the stale "1" answers 412, with a
// malformed If-Match 400; DELETE with the stale W/"1" answers 412, and
// with 2 succeeds. do sends one request to the resource with an If-Match
// header ("" for none). The successful PATCH and DELETE emit their usual
// events; the refused calls must emit none, which the caller checks.
func CheckIfMatch(t testing.TB, do func(method, ifMatch string, body any) Result, patch any) {
	t.Helper()
	etag := func(r Result, want string) {
		t.Helper()
		if got := r.Header["Etag"]; !slices.Equal(got, []string{want}) {
			t.Fatalf("ETag %q, want %q", got, want)
		}
	}
	etag(do("GET", "", nil).Want(t, 200), `"1"`)
	etag(do("PATCH", `"1"`, patch).Want(t, 200), `"2"`)
	do("PATCH", `"1"`, patch).Want(t, 412)
	do("PATCH", "one", patch).Want(t, 400)
	do("DELETE", `W/"1"`, nil).Want(t, 412)
	if r := do("DELETE", "2", nil); r.Status != 204 && r.Status != 200 {
		t.Fatalf("DELETE with the current version: %d %s", r.Status, r.Message)
	}
}
