//go:build race

package algotest

// raceEnabled reports a -race build, whose code runs several times slower.
const raceEnabled = true
