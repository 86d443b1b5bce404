package deploy_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"ess-standby/handler/trigger"
)

// README.md's "Which events act" is the code's table: every acting type,
// and each status and state in the column the code puts it in.
func TestREADMEStatusTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile("(?s)### Which events act\n\n(.*?)\n\n").FindSubmatch(readme)
	if table == nil {
		t.Fatal(`README.md has no "### Which events act" table`)
	}
	rows := map[string][]string{} // first cell → cells
	for line := range strings.Lines(string(table[1])) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		rows[strings.TrimSpace(cells[0])] = cells
	}
	var system []string
	for first, cells := range rows {
		if strings.Contains(first, "SystemMaintenance") {
			system = cells
		}
	}
	if system == nil {
		t.Fatal("no row for the system events")
	}
	for _, typ := range trigger.SystemEventTypes {
		family, name, _ := strings.Cut(typ, ".")
		if !strings.Contains(system[0], family) || !strings.Contains(system[0], name) {
			t.Errorf("the README's system-event row does not name %s", typ)
		}
	}
	columns := []struct {
		values []string
		column int
	}{{trigger.ActingStatuses, 1}, {trigger.OverStatuses, 2}}
	for _, c := range columns {
		for _, v := range c.values {
			if !strings.Contains(system[c.column], "`"+v+"`") {
				t.Errorf("the README does not list status %s in column %d of the system events", v, c.column)
			}
		}
	}
	stateChange, preemptible := rows["`StateChange`"], rows["`"+trigger.Preemptible+"` (spot)"]
	if stateChange == nil || preemptible == nil {
		t.Fatalf("no rows for StateChange and %s", trigger.Preemptible)
	}
	for _, v := range trigger.StoppingStates {
		if !strings.Contains(stateChange[1], "`"+v+"`") {
			t.Errorf("the README does not say state %s acts", v)
		}
	}
	for _, v := range trigger.OtherStates {
		if !strings.Contains(stateChange[2], "`"+v+"`") {
			t.Errorf("the README does not say state %s is ignored", v)
		}
	}
}
