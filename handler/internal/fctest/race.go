//go:build race

package fctest

// race tells Build that the tests run under -race, so the binary should too.
const race = true
