package web

import (
	"net/http"
	"net/http/httptest"
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
