package handler_test

import (
	"strings"
	"testing"
	"time"

	"ess-standby/handler"
)

// A stale or future-dated event's reason says how far off it is in days
// once that is over a day: an event four years old reads "1581 days 18h
// old", not "37962h27m2s old".
func TestLongAgesReadInDays(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"hours", now.Add(-2*time.Hour - time.Minute), "the event is 2h1m0s old, older than MAX_EVENT_AGE=1h0m0s"},
		{"a day and a half", now.Add(-36 * time.Hour), "the event is 1 day 12h old,"},
		{"whole days", now.Add(-48 * time.Hour), "the event is 2 days old,"},
		{"years, rounded down", now.Add(-37962*time.Hour - 27*time.Minute - 2*time.Second), "the event is 1581 days 18h old,"},
		{"ahead, minutes", now.Add(7 * time.Minute), "the event is dated 7m0s ahead of this function's clock"},
		{"ahead, days", now.Add(3*24*time.Hour + 5*time.Hour), "the event is dated 3 days 5h ahead of this function's clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(config{Config: handler.Config{MaxEventAge: time.Hour}}, newFake())
			a := decodeReply(t, invokeFake(h, maintenance("e1", "i-a1", tt.at)))
			if !strings.HasPrefix(a.Ignored, tt.want) {
				t.Errorf("Ignored = %q, want it to begin %q", a.Ignored, tt.want)
			}
		})
	}
}
