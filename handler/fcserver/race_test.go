//go:build race

package fcserver_test

const raceEnabled = true
