package test

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// BenchmarkPluginCommand measures commands through one plugin: each
// iteration is POST /v1/test/outbox/… (the plugin writes its row and its
// event in one SQLite transaction), and the time until a WebSocket member
// of the room receives the event. callers=1 sends one command at a time
// (the latency of an idle system); callers=8 saturates the plugin.
// Reported: commands/s, and p50/p99 of command → event delivered.
//
//	go test -run '^$' -bench PluginCommand -benchtime 2000x ./core/
func BenchmarkPluginCommand(b *testing.B) {
	for _, callers := range []int{1, 8} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) { benchCommands(b, callers) })
	}
}

func benchCommands(b *testing.B, callers int) {
	n := pluginNode(b, "")
	tok := n.Token("u1")
	c := n.DialWS(tok)
	c.Join("user:u1")

	var mu sync.Mutex
	sent := map[int]time.Time{}
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(lat) < b.N {
			f, err := c.Next(testnode.Timeout)
			if err != nil {
				return
			}
			if f.Op != "event" || f.Seq == 0 {
				continue
			}
			var d struct{ N int }
			if err := jsonUnmarshalData(f.Event, &d); err != nil {
				continue
			}
			mu.Lock()
			lat = append(lat, time.Since(sent[d.N]))
			mu.Unlock()
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	url := n.URL + "/v1/test/outbox/user:u1"
	work := make(chan int)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < callers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				req, _ := http.NewRequest("POST", url, bytes.NewReader([]byte(fmt.Sprintf(`{"n":%d}`, i))))
				req.Header.Set("Authorization", "Bearer "+tok)
				mu.Lock()
				sent[i] = time.Now()
				mu.Unlock()
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 202 {
					b.Errorf("command %d: %v %v", i, err, resp)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	<-done
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) < b.N {
		b.Fatalf("%d of %d events arrived", len(lat), b.N)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commands/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
