package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
)

// report is a run's result: figures in the order they were added.
type report struct {
	rows []row
}

type row struct {
	key   string // JSON key
	label string // text label
	value any
	unit  string
}

func (r *report) add(key, label string, value any, unit string) {
	r.rows = append(r.rows, row{key, label, value, unit})
}

// addLatency adds the percentiles of l under prefix.
func (r *report) addLatency(prefix, what string, l latency) {
	r.add(prefix+"_samples", what+" samples", l.N, "")
	r.add(prefix+"_p50_ms", what+" p50", round3(l.P50), "ms")
	r.add(prefix+"_p90_ms", what+" p90", round3(l.P90), "ms")
	r.add(prefix+"_p99_ms", what+" p99", round3(l.P99), "ms")
	r.add(prefix+"_p999_ms", what+" p99.9", round3(l.P999), "ms")
	r.add(prefix+"_max_ms", what+" max", round3(l.Max), "ms")
	r.add(prefix+"_mean_ms", what+" mean", round3(l.Mean), "ms")
}

// addFleet adds the connection-level figures every scenario shares.
func (r *report) addFleet(f *fleet, o openResult) {
	r.add("conns_joined", "connections joined", o.Joined, "")
	r.add("conns_failed", "connections failed", o.Failed, "")
	if o.FirstErr != "" {
		r.add("first_conn_error", "first connection error", o.FirstErr, "")
	}
	r.add("connect_s", "connect+join all", round3(o.Took.Seconds()), "s")
	if o.Took > 0 {
		r.add("connect_rate", "connect rate", math.Round(float64(o.Joined)/o.Took.Seconds()), "conn/s")
	}
	r.add("conn_setup_p50_ms", "per-connection dial+welcome+join p50", round3(f.setup.pct(0.5)), "ms")
	r.add("conn_setup_p99_ms", "per-connection dial+welcome+join p99", round3(f.setup.pct(0.99)), "ms")
}

// addEnds adds what ended connections and anomalies looked like.
func (r *report) addEnds(f *fleet) {
	r.add("conns_lost", "connections ended by the server or an error during the run", f.lost(), "")
	if ends := f.ends.snapshot(); len(ends) > 0 {
		r.add("conn_end_reasons", "why they ended", ends, "")
	}
	r.add("error_frames", "error frames", f.get(cErrFrames), "")
	r.add("unexpected_frames", "unparsable/unexpected frames", f.get(cBad), "")
	if n := f.notesSnapshot(); len(n) > 0 {
		r.add("anomalies", "anomalies", n, "")
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// write prints r as text lines or one JSON object.
func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		var b bytes.Buffer
		b.WriteByte('{')
		for i, x := range r.rows {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(x.key)
			v, err := json.Marshal(jsonValue(x.value))
			if err != nil {
				return err
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteString("}\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	width := 0
	for _, x := range r.rows {
		width = max(width, len(x.label))
	}
	for _, x := range r.rows {
		v := textValue(x.value)
		if x.unit != "" {
			v += " " + x.unit
		}
		if _, err := fmt.Fprintf(w, "%-*s  %s\n", width+1, x.label+":", v); err != nil {
			return err
		}
	}
	return nil
}

func jsonValue(v any) any {
	if d, ok := v.(time.Duration); ok {
		return d.Seconds()
	}
	return v
}

func textValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]int:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b bytes.Buffer
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%q ×%d", k, x[k])
		}
		return b.String()
	default:
		return fmt.Sprint(v)
	}
}
