package trigger

import (
	"os"
	"path/filepath"
	"testing"

	"ess-standby/handler/standby"
)

// BenchmarkDecode decodes and checks each sample in events/: the function's
// own work on an event, before any call.
func BenchmarkDecode(b *testing.B) {
	svc := standby.New(standby.Config{}, nil)
	paths, _ := filepath.Glob("../../events/*.json")
	for _, path := range paths {
		payload, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(path), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := Decode(payload)
				if d.HTTP != nil {
					d.Events = []Event{FromHTTP(*d.HTTP)}
				}
				for _, ev := range d.Events {
					svc.Check(&ev.Draft)
				}
			}
		})
	}
}
