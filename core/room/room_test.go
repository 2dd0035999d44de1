package room

import (
	"errors"
	"strings"
	"testing"
)

var cases = []struct {
	in   string
	want error
}{
	{"project:p1", nil},
	{"task:T-1_a.b", nil},
	{"user:" + strings.Repeat("a", 128), nil},
	{"workspace:w", nil},
	{"x2_y:1", nil},
	{"user:" + strings.Repeat("a", 129), ErrID},
	{"project:", ErrID},
	{":p1", ErrKind},
	{"p1", ErrInvalid},
	{"", ErrInvalid},
	{"Project:p1", ErrKind},
	{"1project:p1", ErrKind},
	{"project:p 1", ErrID},
	{"project:p*", ErrID},
	{"project:p>", ErrID},
	{"project:p:1", ErrID},
	{"project:é", ErrID},
	{"project:a~b", ErrID},
}

func TestParse(t *testing.T) {
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			r, err := Parse(c.in)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Parse(%q): %v", c.in, err)
				}
				if r.String() != c.in {
					t.Fatalf("String() = %q, want %q", r.String(), c.in)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	r, err := Parse("task:a.b.c")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.HistorySubject(); got != "room.task.a~b~c" {
		t.Fatalf("HistorySubject = %q", got)
	}
	if got := r.LiveSubject(); got != "live.room.task.a~b~c" {
		t.Fatalf("LiveSubject = %q", got)
	}
	for _, s := range []string{r.HistorySubject(), r.LiveSubject()} {
		back, err := FromSubject(s)
		if err != nil || back != r {
			t.Fatalf("FromSubject(%q) = %v, %v", s, back, err)
		}
	}
	if _, err := FromSubject("other.x.y"); err == nil {
		t.Fatal("FromSubject accepted a foreign subject")
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		if r.String() != s {
			t.Fatalf("round trip %q -> %q", s, r.String())
		}
		subj := r.HistorySubject()
		// A subject must be exactly three NATS tokens with no wildcards.
		toks := strings.Split(subj, ".")
		if len(toks) != 3 || strings.ContainsAny(subj, "*> \t\r\n") {
			t.Fatalf("bad subject %q for %q", subj, s)
		}
		back, err := FromSubject(subj)
		if err != nil || back != r {
			t.Fatalf("FromSubject(%q) = %v, %v; want %v", subj, back, err, r)
		}
	})
}
