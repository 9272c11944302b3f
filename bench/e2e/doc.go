// Package e2e holds the end-to-end tests of the simulator and the bench
// against the real switch: they build cmd/switchd, start it on loopback
// ports with a generated portfolio and a fresh data directory, and speak
// to it only over TCP and HTTP, as the networks and operators do.
package e2e
