package notify

import "testing"

// A field goes into the text cleaned and cut, escaped for DingTalk's
// markdown only, and a dash when nothing is left of it; an item is a list
// entry in markdown, a plain line otherwise.
func TestTextFormat(t *testing.T) {
	md, plain := textFormat{md: true}, textFormat{}
	tests := []struct {
		name      string
		got, want string
	}{
		{"md field", md.field("a*b_[c]`", 64), "a\\*b\\_\\[c\\]\\`"},
		{"plain field", plain.field("a*b_[c]`", 64), "a*b_[c]`"},
		{"md empty", md.field("", 64), "-"},
		{"plain blank", plain.field(" \n ", 64), "-"},
		{"cleaned", plain.field("a\nb<c>", 64), "a b‹c›"},
		{"cut", plain.field("abcdefgh", 6), "abc…"},
		{"md item", md.item("Trigger", "x"), "- Trigger: x"},
		{"plain item", plain.item("Trigger", "x"), "Trigger: x"},
		{"md heading", md.heading("a_b"), "#### a\\_b\n\n"},
		{"plain heading", plain.heading("a_b"), "a_b\n"},
		{"title", messageTitle(Event{Outcome: "standby", DryRun: true}), "ess-standby standby (dry run)"},
		{"title of nothing", messageTitle(Event{}), "ess-standby -"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q; want %q", tt.name, tt.got, tt.want)
		}
	}
}
