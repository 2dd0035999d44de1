package auth_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
)

func Example() {
	secret := []byte("an-hs256-secret-of-32-bytes-min!")
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	a, err := auth.New(auth.Options{
		HS256Secret: secret,
		Leeway:      30 * time.Second,
		APIKeys:     []string{"publisher-key"},
		Now:         func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}

	// `switchboard token alice --workspace w1`
	tok, err := auth.Mint(secret, "alice", []string{"w1"}, time.Hour, now)
	if err != nil {
		panic(err)
	}

	// A browser's EventSource sends the token as a query parameter.
	r := httptest.NewRequest("GET", "/v1/sse?token="+tok, nil)
	p, err := a.FromRequest(r)
	fmt.Println(p.User, p.InWorkspace("w1"), p.InWorkspace("w2"), p.Expires.Format(time.RFC3339), err)

	// Anything wrong is a 401; the reason is for the log.
	_, err = a.Verify(tok[:len(tok)-4] + "AAAA")
	fmt.Println(errors.Is(err, auth.ErrInvalidToken), err)

	r = httptest.NewRequest("POST", "/v1/publish", nil)
	r.Header.Set("X-Api-Key", "publisher-key")
	scope, ok := a.APIKeyFromRequest(r)
	fmt.Println(ok, scope.Scoped())
	// Output:
	// alice true false 2030-01-02T04:04:05Z <nil>
	// true auth: invalid token: signature: HS256 verification failed
	// true false
}
