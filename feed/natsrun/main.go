// Command natsrun runs a NATS server with JetStream (nats-server/v2, the
// module the project pins) on loopback as a process, for `make run
// FEED=nats`:
//
//	go run ./feed/natsrun -dir data/nats -port 4222
//
// It prints "ready nats://127.0.0.1:4222" on stdout when it takes
// connections and stops on SIGINT or SIGTERM. A single node fsyncs every
// write by default (-sync-always), since the switch's ledger forgets
// entries once the feed acknowledged them.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/authswitch/authswitch/feed/natsserver"
)

func main() {
	dir := flag.String("dir", "data/nats", "JetStream store directory")
	host := flag.String("host", "127.0.0.1", "address to listen on (loopback unless you mean it)")
	port := flag.Int("port", 4222, "client port")
	syncAlways := flag.Bool("sync-always", true, "fsync every JetStream write before acknowledging it")
	logs := flag.Bool("log", true, "log the server's notices to stderr")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		fmt.Fprintln(os.Stderr, "natsrun:", err)
		os.Exit(1)
	}
	s, err := natsserver.Start(natsserver.Options{Dir: *dir, Host: *host, Port: *port, SyncAlways: *syncAlways, Log: *logs})
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsrun:", err)
		os.Exit(1)
	}
	fmt.Println("ready", s.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Stop()
}
