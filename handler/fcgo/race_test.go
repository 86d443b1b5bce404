//go:build race

package fcgo_test

// raceEnabled builds the binary under test with -race when the tests run so.
const raceEnabled = true
