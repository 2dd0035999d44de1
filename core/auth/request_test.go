package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFromRequest(t *testing.T) {
	a := newAuth(t, Options{HS256Secret: testSecret})
	mint := func(sub string) string {
		tok, err := Mint(testSecret, sub, nil, time.Hour, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	header, query := mint("from-header"), mint("from-query")

	for _, tc := range []struct {
		name     string
		auth     string // Authorization header; "" for none
		token    string // ?token=; "" for none
		wantUser string
		wantErr  error
	}{
		{name: "header", auth: "Bearer " + header, wantUser: "from-header"},
		{name: "header lowercase scheme", auth: "bearer " + header, wantUser: "from-header"},
		{name: "header extra spaces", auth: "  Bearer   " + header + " ", wantUser: "from-header"},
		{name: "query", token: query, wantUser: "from-query"},
		{name: "header wins over query", auth: "Bearer " + header, token: query, wantUser: "from-header"},
		{name: "invalid header does not fall back", auth: "Bearer garbage", token: query, wantErr: ErrInvalidToken},
		{name: "basic auth falls back to query", auth: "Basic dXNlcjpwYXNz", token: query, wantUser: "from-query"},
		{name: "empty bearer falls back to query", auth: "Bearer ", token: query, wantUser: "from-query"},
		{name: "scheme only", auth: "Bearer", wantErr: ErrNoToken},
		{name: "raw token without scheme", auth: header, wantErr: ErrNoToken},
		{name: "none", wantErr: ErrNoToken},
		{name: "invalid query", token: "a.b.c", wantErr: ErrInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/v1/ws"
			if tc.token != "" {
				target += "?" + url.Values{"token": {tc.token}}.Encode()
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			p, err := a.FromRequest(r)
			if tc.wantErr != nil {
				if p != nil {
					t.Fatalf("accepted %+v", p)
				}
				assertSentinel(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.User != tc.wantUser {
				t.Errorf("User = %q, want %q", p.User, tc.wantUser)
			}
		})
	}

	if _, err := a.FromRequest(nil); !errors.Is(err, ErrNoToken) {
		t.Errorf("nil request: %v", err)
	}
}

func TestCheckAPIKey(t *testing.T) {
	a := newAuth(t, Options{HS256Secret: testSecret, APIKeys: []string{"pub-key-1", "", "pub-key-2-longer"}})
	for key, want := range map[string]bool{
		"pub-key-1":        true,
		"pub-key-2-longer": true,
		"":                 false,
		"pub-key-":         false,
		"pub-key-1 ":       false,
		"PUB-KEY-1":        false,
		"pub-key-2":        false,
		"pub-key-11":       false,
	} {
		if got := a.CheckAPIKey(key); got != want {
			t.Errorf("CheckAPIKey(%q) = %v, want %v", key, got, want)
		}
	}

	none := newAuth(t, Options{HS256Secret: testSecret})
	if none.CheckAPIKey("pub-key-1") || none.CheckAPIKey("") {
		t.Error("an Authenticator without API keys accepted one")
	}
	empty := newAuth(t, Options{HS256Secret: testSecret, APIKeys: []string{""}})
	if empty.CheckAPIKey("") {
		t.Error("a configured empty key made the empty key valid")
	}
}

func TestAPIKeyFromRequest(t *testing.T) {
	a := newAuth(t, Options{HS256Secret: testSecret, APIKeys: []string{"pub-key-1"}})
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   bool
	}{
		{"valid", map[string]string{"X-Api-Key": "pub-key-1"}, true},
		{"header name case-insensitive", map[string]string{"x-api-key": "pub-key-1"}, true},
		{"wrong key", map[string]string{"X-Api-Key": "nope"}, false},
		{"missing", nil, false},
		{"bearer is not an api key", map[string]string{"Authorization": "Bearer pub-key-1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/publish", strings.NewReader("{}"))
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if _, got := a.APIKeyFromRequest(r); got != tc.want {
				t.Errorf("APIKeyFromRequest = %v, want %v", got, tc.want)
			}
		})
	}
	if _, ok := a.APIKeyFromRequest(nil); ok {
		t.Error("nil request accepted")
	}
}
