package fctest

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
	"time"
)

// Output collects what a function prints, written from any goroutine.
type Output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed on the next write
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.changed != nil {
		close(o.changed)
		o.changed = nil
	}
	return o.buf.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Take returns what was written so far and forgets it.
func (o *Output) Take() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.buf.Reset()
	return o.buf.String()
}

// Await waits until the output matches re, woken by each write, and
// returns the match's submatches.
func (o *Output) Await(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.After(timeout)
	for {
		o.mu.Lock()
		m := re.FindStringSubmatch(o.buf.String())
		if m == nil && o.changed == nil {
			o.changed = make(chan struct{})
		}
		changed := o.changed
		o.mu.Unlock()
		if m != nil {
			return m, nil
		}
		select {
		case <-changed:
		case <-deadline:
			return nil, fmt.Errorf("no output matched %s within %v", re, timeout)
		}
	}
}
