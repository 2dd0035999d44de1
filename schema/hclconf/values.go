package hclconf

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Duration is a time.Duration that a config file writes as a string such as
// "500ms", "30s" or "24h" (never a number), and that marshals to JSON the
// same way, without trailing zero units ("24h", not "24h0m0s").
type Duration time.Duration

// String formats d as the file would write it.
func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// MarshalJSON writes d as a string such as "24h".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a string such as "24h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration is time.ParseDuration with the message config files show.
func ParseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		hint := ""
		if strings.ContainsAny(s, "dD") {
			hint = ` (there is no day unit: write "168h" for 7 days)`
		}
		return 0, fmt.Errorf(`invalid duration %q; use a string such as "500ms", "30s", "5m" or "24h"%s`, s, hint)
	}
	return v, nil
}

// FormatDuration is time.Duration.String without trailing zero units:
// "24h" rather than "24h0m0s". ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Size is a number of bytes. A config file writes it as a whole number or as
// a string with a unit (see ParseSize); JSON shows the number of bytes.
type Size int64

// Byte size units, as accepted in size strings ("64KiB", "10MB").
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
)

// sizeUnits are the units ParseSize accepts, matched case-insensitively.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a byte size: a whole or decimal number followed by an
// optional unit, B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), in any case, optionally separated by a space: "512",
// "512B", "64KiB", "1.5 GiB", "10MB". The result must be a whole number of
// bytes that fits in an int64.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, okUnit := sizeUnits[unit]
	r, okNum := new(big.Rat).SetString(num)
	if num == "" || !okNum || strings.Count(num, ".") > 1 || !okUnit {
		return 0, fmt.Errorf(`invalid size %q; use bytes or a number with a unit such as "512B", "64KiB", "1MiB", "1GiB", "10MB"`, s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return r.Num().Int64(), nil
}
