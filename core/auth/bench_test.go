package auth

import (
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func BenchmarkVerify(b *testing.B) {
	ks := testKeys()
	a := newAuth(b, Options{HS256Secret: testSecret, JWKSFile: writeJWKS(b, standardJWKS()...)})
	c := claimsFor("alice").with("workspaces", []string{"w1", "w2", "w3"})
	for _, bc := range []struct {
		name  string
		token string
	}{
		{"HS256", sign(b, jose.HS256, testSecret, "", c)},
		{"RS256/kid", sign(b, jose.RS256, ks.rsaB, "rsa-b", c)},
		{"RS256/no-kid", sign(b, jose.RS256, ks.rsaB, "", c)},
		{"EdDSA/kid", sign(b, jose.EdDSA, ks.edA, "ed-a", c)},
		{"invalid/alg-none", unsigned(`{"sub":"alice","exp":1999999999}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = a.Verify(bc.token)
			}
		})
	}
}

func BenchmarkCheckAPIKey(b *testing.B) {
	a := newAuth(b, Options{HS256Secret: testSecret, APIKeys: []string{"k1", "k2", "k3", "publisher-key"}})
	b.ReportAllocs()
	for b.Loop() {
		a.CheckAPIKey("publisher-key")
	}
}
