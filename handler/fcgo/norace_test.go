//go:build !race

package fcgo_test

const raceEnabled = false
