package trigger

import (
	"testing"

	"ess-standby/handler/internal/samples"
	"ess-standby/handler/standby"
)

// BenchmarkDecode decodes and checks each sample in events/: the function's
// own work on an event, before any call.
func BenchmarkDecode(b *testing.B) {
	svc := standby.New(standby.Config{}, standby.Cloud{})
	for _, sample := range samples.Match(b, "*.json") {
		payload := sample.Payload
		b.Run(sample.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := Decode(payload, Options{})
				if d.HTTP != nil {
					d = FromHTTP(*d.HTTP, Options{})
				}
				for _, ev := range d.Events {
					svc.Check(&ev.Draft)
				}
			}
		})
	}
}
