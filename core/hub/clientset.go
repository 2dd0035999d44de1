package hub

import "sync"

// clientShards spreads the open clients over this many locked maps.
const clientShards = 16

// clientSet is every open client, for Shutdown, Revoke and Clients. A
// sync.Map entry cost about 90 bytes per connection; a plain map entry,
// sharded so that connects and disconnects on many goroutines rarely
// contend, about a tenth of that.
type clientSet struct {
	shards [clientShards]struct {
		mu sync.Mutex
		m  map[*Client]struct{}
	}
}

func (s *clientSet) add(c *Client) {
	sh := &s.shards[c.shard]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[*Client]struct{})
	}
	sh.m[c] = struct{}{}
	sh.mu.Unlock()
}

func (s *clientSet) remove(c *Client) {
	sh := &s.shards[c.shard]
	sh.mu.Lock()
	delete(sh.m, c)
	sh.mu.Unlock()
}

// all returns the open clients in a new slice, whose clients the caller
// may close.
func (s *clientSet) all() []*Client {
	var out []*Client
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for c := range sh.m {
			out = append(out, c)
		}
		sh.mu.Unlock()
	}
	return out
}

func (s *clientSet) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
