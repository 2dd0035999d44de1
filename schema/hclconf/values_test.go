package hclconf

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"512", 512, true},
		{"512B", 512, true},
		{"64KiB", 64 << 10, true},
		{"64kib", 64 << 10, true},
		{"1MiB", 1 << 20, true},
		{"1GiB", 1 << 30, true},
		{"2TiB", 2 << 40, true},
		{"10MB", 10_000_000, true},
		{"10KB", 10_000, true},
		{"1GB", 1_000_000_000, true},
		{"1.5 MiB", 3 << 19, true},
		{" 64 KiB ", 64 << 10, true},
		{"8388607TiB", 8388607 << 40, true},
		{"8388608TiB", 0, false}, // 2^63: overflows int64
		{"0.5B", 0, false},
		{"", 0, false},
		{"KiB", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"1/2KiB", 0, false},
		{"1..5KiB", 0, false},
		{"64KB!", 0, false},
		{"64 K", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512", "64KiB", "1.5 MiB", "10MB", "8388608TiB", "-1", "1..5KiB", ".5KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Errorf("ParseSize(%q) = %d", s, n)
		}
	})
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                                     "0s",
		500 * time.Millisecond:                "500ms",
		10 * time.Second:                      "10s",
		2 * time.Minute:                       "2m",
		90 * time.Second:                      "1m30s",
		24 * time.Hour:                        "24h",
		time.Hour + 30*time.Minute:            "1h30m",
		time.Hour + time.Second:               "1h0m1s",
		-5 * time.Minute:                      "-5m",
		10*time.Minute + 500*time.Microsecond: "10m0.0005s",
	}
	for d, want := range tests {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, d)
		}
	}
}

func TestValuesMarshalJSON(t *testing.T) {
	v := struct {
		D Duration `json:"d"`
		S Size     `json:"s"`
	}{Duration(24 * time.Hour), 64 * KiB}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"d":"24h","s":65536}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var back struct {
		D Duration `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":"1m30s"}`), &back); err != nil || back.D != Duration(90*time.Second) {
		t.Errorf("Unmarshal = %v, %v", back.D, err)
	}
}
