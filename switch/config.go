package netswitch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// StandInPolicy is what the switch answers when a decision is not ready
// inside the deadline budget.
type StandInPolicy string

const (
	// StandInDecline answers 91 (issuer unavailable): the network may then
	// stand in itself under its own parameters.
	StandInDecline StandInPolicy = "decline"
	// StandInApprove approves authorizations up to StandInLimit (minor
	// units) and records the approval in the ledger as a forced hold;
	// above the limit it declines 91.
	StandInApprove StandInPolicy = "approve"
)

// ListenerConfig is one network's listener.
type ListenerConfig struct {
	Network spec.Network
	Addr    string // host:port; empty disables the network

	// TLS, when set, wraps the listener; set ClientAuth and ClientCAs in it
	// for mutual TLS.
	TLS *tls.Config

	MaxConns       int           // connections accepted at once; more are closed at accept
	MaxInFlight    int           // requests read but not yet answered, per connection (backpressure)
	MaxFrame       int           // bytes; longer frames are discarded and counted
	Deadline       time.Duration // budget from arrival to answer
	IdleEcho       time.Duration // send an echo after this long without traffic
	EchoMisses     int           // close after this many unanswered echoes
	PartialTimeout time.Duration // a connection holding half a frame this long is closed
	WriteTimeout   time.Duration // a peer that does not read its answers this long is closed

	StandIn      StandInPolicy
	StandInLimit int64 // minor units, for StandInApprove

	// Station is the issuer's BASE I station id (6 digits), used as the
	// source of the switch's own Visa messages until a request names it.
	Station string
}

// DefaultListener returns a network's listener configuration with the
// defaults of wire-spec §1, §5 and §9.
func DefaultListener(n spec.Network, addr string) ListenerConfig {
	return ListenerConfig{
		Network:        n,
		Addr:           addr,
		MaxConns:       256,
		MaxInFlight:    256,
		MaxFrame:       8 << 10,
		Deadline:       1500 * time.Millisecond,
		IdleEcho:       60 * time.Second,
		EchoMisses:     3,
		PartialTimeout: 30 * time.Second,
		WriteTimeout:   10 * time.Second,
		StandIn:        StandInDecline,
		Station:        "000001",
	}
}

// ErrInvalidConfig is returned (wrapped, naming the setting) for a
// configuration the switch cannot run with.
var ErrInvalidConfig = errors.New("invalid switch configuration")

// Validate checks a listener configuration and says which setting is wrong.
func (c *ListenerConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s listener: %s", ErrInvalidConfig, c.Network, fmt.Sprintf(format, args...))
	}
	if c.Network != spec.Visa && c.Network != spec.Mastercard {
		return bad("unknown network")
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return bad("address %q: %v", c.Addr, err)
		}
	}
	switch {
	case c.MaxConns < 1:
		return bad("max_conns must be at least 1")
	case c.MaxInFlight < 1 || c.MaxInFlight > 1<<16:
		return bad("max_in_flight must be between 1 and 65536")
	case c.MaxFrame < 64 || c.MaxFrame > 65535:
		return bad("max_frame must be between 64 and 65535 bytes")
	case c.Deadline < 10*time.Millisecond || c.Deadline > 5*time.Second:
		return bad("deadline must be between 10ms and 5s (the networks stand in at 5–25 s)")
	case c.IdleEcho < 100*time.Millisecond:
		return bad("idle_echo must be at least 100ms")
	case c.EchoMisses < 1:
		return bad("echo_misses must be at least 1")
	case c.PartialTimeout < 10*time.Millisecond:
		return bad("partial_timeout must be at least 10ms")
	case c.WriteTimeout < 10*time.Millisecond:
		return bad("write_timeout must be at least 10ms")
	}
	switch c.StandIn {
	case StandInDecline:
	case StandInApprove:
		if c.StandInLimit <= 0 {
			return bad("stand_in approve needs a positive stand_in_limit")
		}
	default:
		return bad("stand_in must be %q or %q", StandInDecline, StandInApprove)
	}
	if len(c.Station) != 6 || !allDigits(c.Station) {
		return bad("station must be 6 digits")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
