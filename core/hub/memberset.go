package hub

// memberSet is the rooms a client is in, by room name: a slice while there
// are few (a Go map costs about 250 bytes even with one entry, a quarter of
// an idle connection's own share), a map past smallSet.
type memberSet struct {
	small []*member
	big   map[string]*member
}

// smallSet is the most rooms kept in the slice.
const smallSet = 8

func (s *memberSet) get(name string) *member {
	if s.big != nil {
		return s.big[name]
	}
	for _, mb := range s.small {
		if mb.rs.name == name {
			return mb
		}
	}
	return nil
}

// put adds mb under its room's name, which is not in the set.
func (s *memberSet) put(mb *member) {
	switch {
	case s.big != nil:
		s.big[mb.rs.name] = mb
	case len(s.small) < smallSet:
		s.small = append(s.small, mb)
	default:
		s.big = make(map[string]*member, 2*smallSet)
		for _, m := range s.small {
			s.big[m.rs.name] = m
		}
		s.big[mb.rs.name] = mb
		s.small = nil
	}
}

func (s *memberSet) del(name string) {
	if s.big != nil {
		delete(s.big, name)
		return
	}
	for i, mb := range s.small {
		if mb.rs.name == name {
			last := len(s.small) - 1
			s.small[i] = s.small[last]
			s.small[last] = nil
			s.small = s.small[:last]
			return
		}
	}
}

func (s *memberSet) len() int {
	if s.big != nil {
		return len(s.big)
	}
	return len(s.small)
}

// list returns the members in a new slice: the caller may remove them from
// the set while going through it.
func (s *memberSet) list() []*member {
	out := make([]*member, 0, s.len())
	if s.big != nil {
		for _, mb := range s.big {
			out = append(out, mb)
		}
		return out
	}
	return append(out, s.small...)
}
