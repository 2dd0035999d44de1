package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMintVerify(t *testing.T) {
	a := newAuth(t, Options{HS256Secret: testSecret})
	for _, ws := range [][]string{{"w1", "w2"}, nil} {
		tok, err := Mint(testSecret, "alice", ws, 15*time.Minute, testNow)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		want := Principal{User: "alice", Workspaces: ws, Expires: testNow.Add(15 * time.Minute)}
		if p.User != want.User || !slices.Equal(p.Workspaces, want.Workspaces) || !p.Expires.Equal(want.Expires) {
			t.Errorf("principal = %+v, want %+v", *p, want)
		}
		if p.InWorkspace("w1") != (ws != nil) {
			t.Errorf("InWorkspace(w1) = %v with workspaces %q", p.InWorkspace("w1"), ws)
		}
	}
}

func TestMintClaims(t *testing.T) {
	tok, err := Mint(testSecret, "alice", nil, time.Minute, testNow)
	if err != nil {
		t.Fatal(err)
	}
	segs := strings.Split(tok, ".")
	for i, want := range []string{`{"alg":"HS256","typ":"JWT"}`, `{"exp":1893553505,"iat":1893553445,"sub":"alice"}`} {
		got, err := base64.RawURLEncoding.DecodeString(segs[i])
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
			t.Fatalf("segment %d: %s", i, got)
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("segment %d = %s, want %s", i, gj, wj)
		}
	}
}

func TestMintWrongSecret(t *testing.T) {
	a := newAuth(t, Options{HS256Secret: testSecret})
	tok, err := Mint([]byte(strings.Repeat("z", MinSecretBytes)), "alice", nil, time.Minute, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Verify = %v, want ErrInvalidToken", err)
	}
}

func TestMintErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
		sub    string
		ttl    time.Duration
		want   string
	}{
		{"short secret", []byte("short"), "a", time.Minute, "secret is 5 bytes"},
		{"nil secret", nil, "a", time.Minute, "secret is 0 bytes"},
		{"empty sub", testSecret, "", time.Minute, "empty subject"},
		{"zero ttl", testSecret, "a", 0, "ttl 0s is not positive"},
		{"negative ttl", testSecret, "a", -time.Second, "ttl -1s is not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Mint(tc.secret, tc.sub, nil, tc.ttl, testNow)
			if err == nil || tok != "" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Mint = %q, %v; want error containing %q", tok, err, tc.want)
			}
		})
	}
}

// A router that checks iss and aud accepts what MintFor signs for it, and
// refuses Mint's token, which has neither (the probe found `switchboard
// token` unusable with auth.issuer set).
func TestMintForIssuerAndAudience(t *testing.T) {
	a := newAuth(t, Options{HS256Secret: testSecret, Issuer: "https://idp.example", Audience: "switchboard"})
	tok, err := MintFor(testSecret, "alice", nil, time.Minute, testNow, "https://idp.example", "switchboard")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(tok); err != nil {
		t.Fatalf("token minted for the router's issuer and audience: %v", err)
	}
	plain, _ := Mint(testSecret, "alice", nil, time.Minute, testNow)
	if _, err := a.Verify(plain); err == nil {
		t.Fatal("a token without iss and aud was accepted by a router that checks them")
	}
}
