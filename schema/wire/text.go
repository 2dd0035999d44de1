package wire

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// The text rule of every JSON body the router takes in (the publish API and
// every plugin route, docs/PROTOCOL.md §10): strings, keys included, are
// UTF-8 with no NUL character.
var (
	ErrTextNUL  = errors.New(`NUL character (\u0000)`)
	ErrTextUTF8 = errors.New("invalid UTF-8 (or a lone surrogate escape)")
)

// CheckText checks a decoded JSON string s against raw, its token as sent
// (with any separators before it): no NUL, and no U+FFFD that the decoder
// made up for invalid UTF-8 or a lone surrogate escape (one sent as itself
// or as \ufffd is fine).
func CheckText(s string, raw []byte) error {
	if strings.IndexByte(s, 0) >= 0 {
		return ErrTextNUL
	}
	if !utf8.Valid(raw) {
		return ErrTextUTF8
	}
	if n := strings.Count(s, "\uFFFD"); n > 0 {
		sent := strings.Count(string(raw), "\uFFFD") + strings.Count(strings.ToLower(string(raw)), `\ufffd`)
		if n > sent {
			return ErrTextUTF8
		}
	}
	return nil
}
