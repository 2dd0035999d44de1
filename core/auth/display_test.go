package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestVerifyDisplayClaims: name, email and avatar reach the principal;
// picture stands in for a missing avatar; an odd or oversized claim is
// dropped, not the token.
func TestVerifyDisplayClaims(t *testing.T) {
	a := newAuth(t, cfgBoth.options(t))
	long := strings.Repeat("x", MaxDisplayBytes+1)
	for _, tc := range []struct {
		name string
		set  claimSet
		want Display
	}{
		{"none", claimsFor("u"), Display{}},
		{"all", claimsFor("u").with("name", "Ann").with("email", "ann@example.com").with("avatar", "https://a/1.png"),
			Display{Name: "Ann", Email: "ann@example.com", Avatar: "https://a/1.png"}},
		{"picture", claimsFor("u").with("picture", "https://p/1.png"), Display{Avatar: "https://p/1.png"}},
		{"avatar over picture", claimsFor("u").with("picture", "https://p").with("avatar", "https://a"), Display{Avatar: "https://a"}},
		{"odd types", claimsFor("u").with("name", []string{"A"}).with("email", 7).with("picture", map[string]any{"u": 1}), Display{}},
		{"too long", claimsFor("u").with("name", long).with("email", "e@x"), Display{Email: "e@x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Verify(sign(t, jose.EdDSA, testKeys().edA, "ed-a", tc.set))
			if err != nil {
				t.Fatal(err)
			}
			if p.Display != tc.want {
				t.Fatalf("display = %+v, want %+v", p.Display, tc.want)
			}
		})
	}
}

func TestMintDisplayRoundTrip(t *testing.T) {
	secret := []byte(strings.Repeat("s", MinSecretBytes))
	a := newAuth(t, Options{HS256Secret: secret})
	d := Display{Name: "Ann", Avatar: "https://a/1.png"}
	tok, err := MintDisplay(secret, "u1", []string{"w1"}, d, time.Hour, testNow, "", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.User != "u1" || p.Display != d {
		t.Fatalf("principal %+v, want user u1 with %+v", p, d)
	}
}
