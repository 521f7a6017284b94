// The native peers on the cases of cases.tsv, one library per process, built against
// Debian's packages of them (GOPATH /usr/share/gocode, no module download):
//   peers-go robfig-cron|cronexpr cases.tsv
// Prints one JSON line per case, like next_fire.cpp and peers.mjs: nanoseconds per "next
// fire time after this instant" call, the answers for each start, and five chained fire
// times; a case the library cannot parse says so instead.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gorhill/cronexpr"
	"github.com/robfig/cron"
)

const starts = 1000

type result struct {
	Case     string   `json:"case"`
	Library  string   `json:"library"`
	Ns       *float64 `json:"ns"`
	Calls    int      `json:"calls"`
	Sink     int64    `json:"sink"`
	Answers  []*int64 `json:"answers"`
	Sequence []int64  `json:"sequence"`
	Error    string   `json:"error,omitempty"`
}

// make returns next(t): the first fire time strictly after t (zero Time: none).
func makeNext(library, expression string, loc *time.Location) (func(time.Time) time.Time, error) {
	six := len(strings.Fields(expression)) == 6
	switch library {
	case "robfig-cron":
		// Its fastest correct setup: the zone as the schedule's own, seconds where written.
		options := cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
		if six {
			options |= cron.Second
		}
		s, err := cron.NewParser(options).Parse("CRON_TZ=" + loc.String() + " " + expression)
		if err != nil {
			return nil, err
		}
		return s.Next, nil
	case "cronexpr":
		// Six fields there are minute..weekday and a year: seconds first needs all seven.
		text := expression
		if six {
			text += " *"
		}
		e, err := cronexpr.Parse(text)
		if err != nil {
			return nil, err
		}
		return func(t time.Time) time.Time { return e.Next(t.In(loc)) }, nil
	}
	return nil, fmt.Errorf("unknown library %s", library)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: peers-go robfig-cron|cronexpr cases.tsv")
		os.Exit(2)
	}
	library := os.Args[1]
	file, err := os.Open(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		name, expression, zone, firstText := f[0], f[1], f[2], f[3]
		var stride int64
		fmt.Sscan(f[4], &stride)
		r := result{Case: name, Library: library}
		loc, err := time.LoadLocation(zone)
		first, err2 := time.Parse(time.RFC3339, firstText)
		if err == nil {
			err = err2
		}
		var next func(time.Time) time.Time
		if err == nil {
			next, err = makeNext(library, expression, loc)
		}
		if err != nil {
			r.Error = err.Error()
			out.Encode(r)
			continue
		}
		at := make([]time.Time, starts)
		for i := range at {
			at[i] = first.Add(time.Duration(int64(i)*stride) * time.Second)
		}
		seconds := func(t time.Time) *int64 {
			if t.IsZero() {
				return nil
			}
			s := t.Unix()
			return &s
		}
		for _, t := range at {
			r.Answers = append(r.Answers, seconds(next(t)))
		}
		for t, i := first, 0; i < 5; i++ {
			n := next(t)
			if n.IsZero() {
				break
			}
			r.Sequence = append(r.Sequence, n.Unix())
			t = n
		}
		// Best of five rounds of at least 0.2 s each, as the other harnesses do.
		best := -1.0
		for round := 0; round < 5; round++ {
			calls := 0
			begin := time.Now()
			for time.Since(begin) < 200*time.Millisecond {
				for _, t := range at {
					r.Sink += next(t).Unix() % 7
				}
				calls += len(at)
			}
			ns := float64(time.Since(begin).Nanoseconds()) / float64(calls)
			if best < 0 || ns < best {
				best = ns
			}
			r.Calls += calls
		}
		r.Ns = &best
		out.Encode(r)
	}
}
