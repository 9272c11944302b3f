// Package natsserver runs a real NATS server with JetStream, from the
// nats-server/v2 module, on loopback: one node, or a node of a cluster.
// The feed's tests embed it, and feed/natsrun runs it as a process for
// `make run FEED=nats`. It is no mock: it is the server.
package natsserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure a server.
type Options struct {
	// Name is the server's name (required in a cluster; "authswitch-nats"
	// otherwise).
	Name string
	// Dir is JetStream's store directory (required).
	Dir string
	// Host is the address to listen on (127.0.0.1); Port the client port
	// (0: any free port).
	Host string
	Port int
	// SyncAlways fsyncs every JetStream write before acknowledging it.
	// A single node needs it for an acknowledgement to survive power
	// loss; a replicated stream has its copies instead.
	SyncAlways bool
	// Cluster, when set, makes the server a node of a JetStream cluster.
	Cluster *Cluster
	// Log, when set, sends the server's notices and errors to stderr.
	Log bool
}

// Cluster is a node's cluster membership.
type Cluster struct {
	Name   string   // the cluster's name
	Port   int      // this node's route port (required: the others dial it)
	Routes []string // every node's route address host:port, this one included
}

// Server is a running NATS server.
type Server struct {
	*server.Server
	opts Options
}

// Start starts a server and waits until it takes connections (and, in a
// cluster, until JetStream is enabled on it).
func Start(o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("natsserver: no store directory")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Name == "" {
		o.Name = "authswitch-nats"
	}
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	so := &server.Options{
		ServerName: o.Name, Host: o.Host, Port: port,
		JetStream: true, StoreDir: o.Dir, SyncAlways: o.SyncAlways,
		NoSigs: true, NoLog: !o.Log, MaxPayload: 8 << 20,
	}
	if c := o.Cluster; c != nil {
		so.Cluster = server.ClusterOpts{Name: c.Name, Host: o.Host, Port: c.Port}
		for _, r := range c.Routes {
			u, err := url.Parse("nats://" + r)
			if err != nil {
				return nil, fmt.Errorf("natsserver: route %q: %w", r, err)
			}
			so.Routes = append(so.Routes, u)
		}
	}
	s, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("natsserver: %w", err)
	}
	if o.Log {
		s.ConfigureLogger()
	}
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("natsserver: not ready for connections after 30s")
	}
	return &Server{Server: s, opts: o}, nil
}

// URL is the client URL.
func (s *Server) URL() string { return s.ClientURL() }

// Stop shuts the server down and waits until it has.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1 (for cluster
// route ports, and for a node that must come back on its old port).
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("natsserver: finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// HostPort joins 127.0.0.1 and a port.
func HostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
