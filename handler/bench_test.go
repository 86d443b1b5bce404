package handler

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes and validates each sample in events/: the
// function's own work on an event, before any call.
func BenchmarkDecode(b *testing.B) {
	paths, _ := filepath.Glob("../events/*.json")
	for _, path := range paths {
		payload, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(path), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, req, err := decodeEvent(payload)
				if err != nil {
					b.Fatal(err)
				}
				if req != nil {
					d = decodeHTTP(*req)
				}
				d.draft.validate(defaultMaxInstances)
			}
		})
	}
}
