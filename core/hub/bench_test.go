package hub

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// discard is a sink that counts what it is given.
type discard struct{ n chan int }

func (d *discard) Flush(frames [][]byte) error { d.n <- len(frames); return nil }
func (d *discard) Interrupt()                  {}
func (d *discard) Disconnect(wire.Reason)      {}

// BenchmarkFanout measures one event dispatched to n members of a room,
// through encode-once, the per-connection queues and writers, until every
// member's sink has the frame. Reported per recipient.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			h, br, f := newTestHub(b)
			r := mustRoom(b, "workspace:w1")
			counted := make(chan int, 1<<16)
			for i := 0; i < n; i++ {
				c := h.NewClient(&auth.Principal{User: fmt.Sprint("u", i)}, f, &discard{n: counted}, 1<<30)
				if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			// A Flush may carry frames of several events: keep a balance.
			balance := 0
			drain := func(want int) {
				for balance -= want; balance < 0; {
					balance += <-counted
				}
			}
			drain(n * (n + 1) / 2) // presence joins: member i's reached i+1 members
			data := []byte(`{"specversion":"1.0","id":"01JD0000000000000000000000","source":"switchboard/plugins/tasks","type":"pm.task.created","time":"2026-11-22T10:00:00.123Z","subject":"task/t1","correlationid":"c-42","actor":"u1","datacontenttype":"application/json","data":{"id":"t1","projectId":"p1","title":"` + strings.Repeat("x", 40) + `","version":1}}`)
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				br.store(r, "pm.task.created", data)
				drain(n)
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			per := float64(b.N) * float64(n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/recipient")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/per, "allocs/recipient")
		})
	}
}
