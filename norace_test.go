//go:build !race

package otp

const raceEnabled = false
