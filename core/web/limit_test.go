package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestConnectCaps(t *testing.T) {
	l := NewLimits(LimitOptions{MaxConnsPerIP: 2, MaxConnsPerUser: 3})
	req := func(ip string) *httptestReq { return newReq(ip) }
	r1, r2 := req("10.0.0.1:1"), req("10.0.0.2:1")
	rel1, werr, _ := l.Connect(r1.r, "u1")
	if werr != nil {
		t.Fatalf("first connection refused: %v", werr)
	}
	rel2, werr, _ := l.Connect(r1.r, "u1")
	if werr != nil {
		t.Fatalf("second connection refused: %v", werr)
	}
	if _, werr, ra := l.Connect(r1.r, "u2"); werr == nil || ra <= 0 {
		t.Fatalf("third connection from one IP with cap 2: got %v, retry %v; want refused", werr, ra)
	}
	rel3, werr, _ := l.Connect(r2.r, "u1")
	if werr != nil {
		t.Fatalf("other IP refused: %v", werr)
	}
	if _, werr, _ := l.Connect(newReq("10.0.0.3:1").r, "u1"); werr == nil {
		t.Fatal("fourth connection of u1 with per-user cap 3 was accepted")
	}
	rel1()
	rel1() // idempotent
	if _, werr, _ := l.Connect(r1.r, "u2"); werr != nil {
		t.Fatalf("after a release, a connection was refused: %v", werr)
	}
	rel2()
	rel3()
}

func TestKeyedRate(t *testing.T) {
	k := NewKeyed(1, 2)
	now := time.Unix(1000, 0)
	k.now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		if ok, _ := k.Allow("a"); !ok {
			t.Fatalf("request %d within burst refused", i)
		}
	}
	ok, wait := k.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third request: ok %v wait %v; want refused with a wait in (0,1s]", ok, wait)
	}
	if ok, _ := k.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := k.Allow("a"); !ok {
		t.Fatal("refused after the wait")
	}
	now = now.Add(2 * time.Minute)
	k.Allow("c")
	if len(k.m) != 1 {
		t.Fatalf("sweep kept %d buckets, want 1 (c)", len(k.m))
	}
	if ok, _ := NewKeyed(0, 0).Allow("x"); !ok {
		t.Fatal("rate 0 must be off")
	}
	var nilLimits *Limits
	if rel, werr, _ := nilLimits.Connect(newReq("1.2.3.4:5").r, "u"); werr != nil || rel != nil {
		t.Fatal("nil Limits must allow")
	}
}

type httptestReq struct{ r *http.Request }

func newReq(remote string) *httptestReq {
	r := httptest.NewRequest("GET", "/v1/ws", nil)
	r.RemoteAddr = remote
	return &httptestReq{r: r}
}

// Behind trusted proxies the client's address is the rightmost
// X-Forwarded-For hop that is not a proxy; a client cannot choose it by
// sending its own header, and an untrusted peer's header is ignored.
func TestClientIPBehindTrustedProxies(t *testing.T) {
	l := NewLimits(LimitOptions{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client, no header", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"direct client forging the header", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"one proxy", "10.0.0.2:443", []string{"203.0.113.7"}, "203.0.113.7"},
		{"two proxies", "10.0.0.2:443", []string{"203.0.113.7, 10.1.1.1"}, "203.0.113.7"},
		{"client forging a hop before the proxy's", "10.0.0.2:443", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"hops in two header lines", "10.0.0.2:443", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"all hops trusted", "10.0.0.2:443", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"proxy without the header", "10.0.0.2:443", nil, "10.0.0.2"},
		{"malformed hop", "10.0.0.2:443", []string{"203.0.113.7, not-an-ip"}, "10.0.0.2"},
		{"IPv6 proxy", "[::1]:443", []string{"2001:db8::1"}, "2001:db8::1"},
	} {
		r := newReq(c.remote).r
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := l.ClientIP(r); got != c.want {
			t.Errorf("%s: ClientIP = %q, want %q", c.name, got, c.want)
		}
	}
	// Without trusted proxies the header means nothing.
	r := newReq("10.0.0.2:443").r
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	if got := NewLimits(LimitOptions{}).ClientIP(r); got != "10.0.0.2" {
		t.Errorf("no trusted proxies: ClientIP = %q, want the peer", got)
	}
	// The per-IP cap counts clients behind one proxy apart.
	capped := NewLimits(LimitOptions{MaxConnsPerIP: 1, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for _, client := range []string{"203.0.113.7", "203.0.113.8"} {
		r := newReq("10.0.0.2:443").r
		r.Header.Set("X-Forwarded-For", client)
		if _, werr, _ := capped.Connect(r, "u-"+client); werr != nil {
			t.Fatalf("client %s behind the proxy refused: %v", client, werr)
		}
	}
}
