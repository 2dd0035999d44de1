package main

import (
	"fmt"
	"math"
	"strings"
)

// tableRow is one line of the bench table; NaN values print as "—".
type tableRow struct {
	label string
	unit  string
	vals  []float64 // switchboard, floor[, other]
	ratio float64   // switchboard / floor
	tool  []float64 // load tool's cores per column (first row of a workload only)
	other []float64 // other processes' cores per column (idem)
}

func nan() float64 { return math.NaN() }

// num formats v with three significant digits or so.
func num(v float64) string {
	switch a := math.Abs(v); {
	case v != v:
		return "—"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func withUnit(v float64, unit string) string {
	s := num(v)
	if s == "—" || unit == "" {
		return s
	}
	if unit == "/s" || unit == "×" {
		return s + unit
	}
	return s + " " + unit
}

// formatTable prints rows as a Markdown table: workload | switchboard |
// floor | ratio [| other | ratio] | load tool CPU | other processes' CPU.
func formatTable(rows []tableRow, withOther bool) string {
	var b strings.Builder
	head := []string{"workload", "switchboard", "floor", "switchboard / floor"}
	if withOther {
		head = append(head, "other server", "switchboard / other")
	}
	head = append(head, "load tool CPU", "other processes' CPU")
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(head)) + "|\n")
	pair := func(v []float64) string {
		if len(v) == 0 {
			return ""
		}
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = num(x)
		}
		return strings.Join(s, " / ")
	}
	for _, r := range rows {
		cells := []string{r.label}
		for i := range 2 {
			cells = append(cells, withUnit(at(r.vals, i), r.unit))
		}
		if r.ratio == r.ratio {
			cells = append(cells, num(r.ratio)+"×")
		} else {
			cells = append(cells, "—")
		}
		if withOther {
			o := at(r.vals, 2)
			cells = append(cells, withUnit(o, r.unit))
			if s := at(r.vals, 0); s == s && o > 0 && r.unit != "×" {
				cells = append(cells, num(s/o)+"×")
			} else {
				cells = append(cells, "—")
			}
		}
		cells = append(cells, pair(r.tool), pair(r.other))
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return math.NaN()
}
