package ws

import "testing"

// SetReadHook makes f run with the user of every connection that becomes
// readable, before its frames are read, until the test ends.
func SetReadHook(t testing.TB, f func(user string)) {
	h := func(c *conn) { f(c.client.Principal().User) }
	readHook.Store(&h)
	t.Cleanup(func() { readHook.Store(nil) })
}
