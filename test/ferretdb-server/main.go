// Command ferretdb-test-server runs FerretDB v1 (SQLite backend) embedded, for the gateway's second
// test lane: a MongoDB-compatible server that applies projections, cursors, maxTimeMS and MongoDB's
// error codes. Embedding it, rather than building FerretDB's own command, avoids the version.txt
// that its command needs and that is not committed (upstream issue 2982), and turns telemetry off.
//
// It listens on 127.0.0.1 (-port, 0 picks a free one), keeps its data under -dir (a fresh directory
// per run), prints one line FERRETDB_URI=mongodb://127.0.0.1:PORT/ when it is ready, and stops on
// SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0: a free one)")
	dir := flag.String("dir", "", "directory for the SQLite files (created if missing)")
	flag.Parse()

	if err := run(*port, *dir); err != nil {
		fmt.Printf("FERRETDB_START_FAILURE=%s\n", err)
		os.Exit(1)
	}
}

func run(port int, dir string) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}

	// FerretDB reports a taken port only when it runs; checking first gives a clear start failure.
	address := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if port != 0 {
		probe, err := net.Listen("tcp", address)
		if err != nil {
			return err
		}
		probe.Close()
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: address},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()

	// MongoDBURI waits for the listener, so the line is printed once connections are accepted.
	fmt.Printf("FERRETDB_URI=%s\n", f.MongoDBURI())
	<-done
	return nil
}
