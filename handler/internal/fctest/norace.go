//go:build !race

package fctest

const race = false
