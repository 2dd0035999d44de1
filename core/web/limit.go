// Limits are the node's abuse limits, shared by the transports and the
// API: caps on concurrent connections per client IP and per user, and
// token-bucket rate limits keyed by client IP (connection attempts) and by
// API key (publish). Every limit is off when configured 0.

package web

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// LimitOptions are the limits; 0 turns one off.
type LimitOptions struct {
	MaxConnsPerIP   int
	MaxConnsPerUser int
	ConnectRate     float64
	ConnectBurst    int
	PublishRate     float64
	PublishBurst    int
	// TrustedProxies are the load balancers and proxies whose
	// X-Forwarded-For is believed (see ClientIP). Empty: none, the peer
	// address is the client's.
	TrustedProxies []netip.Prefix
}

// Limits is the node's set of limits. A nil *Limits allows everything.
type Limits struct {
	o       LimitOptions
	mu      sync.Mutex
	perIP   map[string]int
	perUser map[string]int
	connect *Keyed
	publish *Keyed
}

// NewLimits builds the limits.
func NewLimits(o LimitOptions) *Limits {
	return &Limits{o: o, perIP: map[string]int{}, perUser: map[string]int{},
		connect: NewKeyed(o.ConnectRate, o.ConnectBurst), publish: NewKeyed(o.PublishRate, o.PublishBurst)}
}

// ClientIP is the IP the limits count r under: its peer's (RemoteAddr
// without the port), unless the peer is a trusted proxy. Then it is the
// rightmost address of X-Forwarded-For that is not a trusted proxy (the
// leftmost when all are): what the nearest untrusted hop connected from,
// which a client cannot forge by sending its own X-Forwarded-For.
func (l *Limits) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if l == nil || len(l.o.TrustedProxies) == 0 || !l.trusted(host) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(h, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if _, err := netip.ParseAddr(hops[i]); err != nil {
			return host // a malformed hop: believe nothing left of it
		}
		if !l.trusted(hops[i]) || i == 0 {
			return hops[i]
		}
	}
	return host
}

// trusted reports whether ip is one of the trusted proxies.
func (l *Limits) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range l.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Connect checks a new WebSocket/SSE connection of user from r's IP before
// it is upgraded or streamed. On success it returns release, which the
// caller must call once when the connection ends (nil when no cap is set:
// nothing to release); on refusal it returns
// the wire error to answer (429, with RetryAfter set when waiting helps).
func (l *Limits) Connect(r *http.Request, user string) (release func(), werr *wire.Error, retryAfter time.Duration) {
	if l == nil {
		return nil, nil, 0
	}
	ip := l.ClientIP(r)
	if ok, wait := l.connect.Allow(ip); !ok {
		return nil, wire.NewError(wire.RateLimited, "too many connection attempts from "+ip), wait
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.o.MaxConnsPerIP > 0 && l.perIP[ip] >= l.o.MaxConnsPerIP {
		return nil, wire.NewError(wire.RateLimited, "too many connections from "+ip+" (max "+strconv.Itoa(l.o.MaxConnsPerIP)+")"), time.Second
	}
	if l.o.MaxConnsPerUser > 0 && l.perUser[user] >= l.o.MaxConnsPerUser {
		return nil, wire.NewError(wire.RateLimited, "too many connections for this user (max "+strconv.Itoa(l.o.MaxConnsPerUser)+")"), time.Second
	}
	if l.o.MaxConnsPerIP <= 0 && l.o.MaxConnsPerUser <= 0 {
		return nil, nil, 0 // nothing to count
	}
	l.perIP[ip]++
	l.perUser[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			dec(l.perIP, ip)
			dec(l.perUser, user)
		})
	}, nil, 0
}

func dec(m map[string]int, k string) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// ReleaseOn calls release once done is closed, or at once if done is nil
// (the connection never started). A nil release does nothing: without
// caps no goroutine waits per connection.
func ReleaseOn(done <-chan struct{}, release func()) {
	switch {
	case release == nil:
	case done == nil:
		release()
	default:
		go func() {
			<-done
			release()
		}()
	}
}

// Publish checks one publish request made with key.
func (l *Limits) Publish(key string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	return l.publish.Allow(key)
}

// Refuse writes werr as a 429 with Retry-After (whole seconds, at least 1).
func Refuse(w http.ResponseWriter, werr *wire.Error, retryAfter time.Duration) {
	secs := int(math.Ceil(retryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	wire.Write(w, werr)
}

// Keyed is a token bucket per key. Buckets left full are dropped by a sweep
// that runs at most once a minute, so the map stays bounded by the keys
// active in the last minute.
type Keyed struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
	swept time.Time
	now   func() time.Time
}

// NewKeyed is perSecond events a second per key with burst (0: 1); a
// perSecond of 0 or less allows everything.
func NewKeyed(perSecond float64, burst int) *Keyed {
	if burst < 1 {
		burst = 1
	}
	return &Keyed{limit: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}, now: time.Now}
}

// Allow takes one token of key's bucket; when none is left it reports how
// long until one is.
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	if k == nil || k.limit <= 0 {
		return true, 0
	}
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > time.Minute {
		for key, l := range k.m {
			if l.TokensAt(now) >= float64(k.burst) {
				delete(k.m, key)
			}
		}
		k.swept = now
	}
	l := k.m[key]
	if l == nil {
		l = rate.NewLimiter(k.limit, k.burst)
		k.m[key] = l
	}
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
