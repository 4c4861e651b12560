// Command webserver is a reference deployment of two-factor login with
// otp: a web service that a careful engineer could put on the internet.
//
//	go run ./examples/webserver      # then open http://127.0.0.1:8080
//
// It keeps everything in a database: users and PBKDF2 password hashes,
// TOTP secrets sealed with AES-256-GCM, pending enrolments, sessions, and
// the guard.Guard state that accepts each code once and throttles guesses.
// By default that is a SQLite file in the working directory, with no
// setup; with -db postgres://... several instances serve one site.
//
// # Flags
//
//	-addr HOST:PORT      listen address (default 127.0.0.1:8080)
//	-db PATH|URL         SQLite file (default otp-webserver.db) or postgres:// URL
//	-tls-cert, -tls-key  serve HTTPS with this certificate and key
//	-behind-proxy        a reverse proxy in front serves HTTPS and appends the
//	                     client's address to X-Forwarded-For
//	-new-key             print a new sealing key and exit
//	-rekey               re-seal every secret with the current key and exit
//	-unlock USER         lift the lock on USER's logins and exit
//
// # The sealing key
//
// The key that seals the TOTP secrets is OTP_DEMO_KEY (64 hex digits). Without
// it, a SQLite database gets a key file beside it (PATH.key, mode 0600),
// created on first run. PostgreSQL needs OTP_DEMO_KEY: instances on several
// machines must share one key, and a key file made by each would differ.
// While rotating, OTP_DEMO_OLD_KEY holds the previous key; see the README.
package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/otpkit/otp/guard"
)

func main() {
	os.Exit(run(signalContext(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// signalContext ends at the first SIGINT or SIGTERM, which starts the
// graceful shutdown. From then on those signals have their default effect
// again, so that a second one, from someone who will not wait, stops the
// process at once.
func signalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	return ctx
}

// issuer is the name authenticator apps show next to the account.
const issuer = "Example Corp"

type config struct {
	addr, db, tlsCert, tlsKey string
	behindProxy               bool
	newKey, rekey             bool
	unlock                    string
	iterations                int // PBKDF2; tests lower it
}

// parseFlags reads the flags; -h prints the usage on stdout, and a
// mistake goes to stderr with it.
func parseFlags(args []string, stdout, stderr io.Writer) (config, error) {
	c := config{iterations: passwordIterations}
	fs := flag.NewFlagSet("webserver", flag.ContinueOnError)
	out := stderr
	fs.SetOutput(stderr)
	fs.Usage = func() {
		if slices.ContainsFunc(args, isHelpFlag) {
			out = stdout
			fs.SetOutput(stdout)
		}
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT`")
	fs.StringVar(&c.db, "db", "otp-webserver.db", "the database: a SQLite file `PATH`, or a postgres:// URL")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with the certificate in `FILE` (PEM)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "the private key of -tls-cert in `FILE` (PEM)")
	fs.BoolVar(&c.behindProxy, "behind-proxy", false,
		"a reverse proxy in front serves HTTPS and appends the client's address to X-Forwarded-For")
	fs.BoolVar(&c.newKey, "new-key", false, "print a new sealing key (for "+keyEnv+") and exit")
	fs.BoolVar(&c.rekey, "rekey", false, "re-seal every secret with the current key and exit")
	fs.StringVar(&c.unlock, "unlock", "", "lift the lock on the logins of `USER` and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return c, errors.New("unexpected argument")
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		fmt.Fprintln(stderr, "-tls-cert and -tls-key go together")
		return c, errors.New("half a TLS configuration")
	}
	return c, nil
}

// isHelpFlag reports whether a flag asks for help, as the flag package
// reads -h, -help and --help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--h" || arg == "--help"
}

// usage is what -h prints before the flags: what the program does, what
// it reads from the environment and what it writes.
const usage = `Usage: go run ./examples/webserver [flags]

A reference deployment of two-factor login: sign up with a password, turn on
codes from an authenticator app (a QR code to scan, recovery codes to keep),
and log in with both. Open http://127.0.0.1:8080 once it listens.

Environment:
  ` + keyEnv + `      the sealing key of the TOTP secrets: 64 hex digits (make
                    one with -new-key). Needed with PostgreSQL, so that every
                    instance has the same one; optional with SQLite.
  ` + oldKeyEnv + `  the previous key, while rotating (see -rekey and the README)

Files (with SQLite; PostgreSQL keeps everything in its database):
  PATH              the database (-db; default otp-webserver.db in the working
                    directory), created with mode 0600, and PATH-wal and
                    PATH-shm beside it. An existing one that others can read
                    or write is refused: chmod 600 it.
  PATH.key          the sealing key, made on the first run without
                    ` + keyEnv + `, mode 0600; one that others can read is refused.

It logs to standard error, one line per authentication event, and stops
gracefully on SIGINT or SIGTERM (at once on a second one).

Flags:
`

// run is the program; main only wires it to the process. It returns the
// exit code: 0 after a clean shutdown (ctx cancelled) or -h, 1 on an
// error, 2 for bad flags.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, out io.Writer) int {
	cfg, err := parseFlags(args, stdout, out)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if cfg.newKey {
		fmt.Fprintln(stdout, newKeyHex()) // for $(webserver -new-key)
		return 0
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	if err := start(ctx, cfg, getenv, log); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
}

// start loads the key and opens the database, then serves, or does the
// one operator task the flags ask for.
func start(ctx context.Context, cfg config, getenv func(string) string, log *slog.Logger) error {
	keyFile := ""
	if !isPostgres(cfg.db) {
		keyFile = cfg.db + ".key"
	}
	current, old, created, err := loadKeys(getenv, keyFile)
	if err != nil {
		return err
	}
	if created {
		log.Info("created a new sealing key file", "path", keyFile)
	}
	db, a, err := open(ctx, cfg, current, old, log)
	if err != nil {
		if created {
			// Nothing is sealed with it yet: let the next start look again.
			// From here on something may be, and the file stays.
			os.Remove(keyFile)
		}
		return err
	}
	defer db.Close()
	switch {
	case cfg.rekey:
		return a.rekey(ctx)
	case cfg.unlock != "":
		return a.unlock(ctx, cfg.unlock)
	}
	return a.serve(ctx, cfg)
}

// open opens the database and the app on it.
func open(ctx context.Context, cfg config, current, old []byte, log *slog.Logger) (*sql.DB, *app, error) {
	db, err := openDB(ctx, cfg.db)
	if err != nil {
		return nil, nil, err
	}
	a, err := newApp(ctx, db, cfg, current, old, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, a, nil
}

// newApp creates the tables if they are missing and checks that the keys
// open every stored secret, so that a missing key stops the start instead
// of every login.
func newApp(ctx context.Context, db *sql.DB, cfg config, current, old []byte, log *slog.Logger) (*app, error) {
	if err := createSchema(ctx, db); err != nil {
		return nil, err
	}
	guardStore, err := guard.NewSQLStore(db, "web_guard")
	if err != nil {
		return nil, err
	}
	if err := guardStore.CreateTable(ctx); err != nil {
		return nil, err
	}
	var olds [][]byte
	if old != nil {
		olds = append(olds, old)
	}
	s, err := newSealer(current, olds...)
	if err != nil {
		return nil, err
	}
	ids, err := store{db}.keyIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !s.knows(id) {
			return nil, fmt.Errorf("the database holds secrets sealed with key %s, which neither %s nor the key file "+
				"gives (while rotating, set %s to the old key)", id, keyEnv, oldKeyEnv)
		}
	}
	dk, err := deriveKey(current, deviceKeyLabel)
	if err != nil {
		return nil, err
	}
	nk, err := deriveKey(current, nameMACKeyLabel)
	if err != nil {
		return nil, err
	}
	g := &guard.Guard{Store: guardStore, DeviceKey: dk, DeviceTTL: deviceMaxAge}
	return &app{
		issuer: issuer, db: store{db}, guard: g, sealer: s, nameKey: nk,
		hasher: newHasher(cfg.iterations), now: time.Now, log: log,
		https: cfg.tlsCert != "" || cfg.behindProxy, proxied: cfg.behindProxy, loginFloor: loginFloor,
	}, nil
}

// serve answers HTTP until ctx ends, then shuts down gracefully.
func (a *app) serve(ctx context.Context, cfg config) error {
	srv := a.httpServer()
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	a.log.Info("listening", "url", scheme+"://"+ln.Addr().String(), "db", dbKind(cfg.db))

	go a.sweep(ctx)
	errc := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: waiting for requests in flight; a second signal stops at once")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	a.log.Info("shut down", "err", err)
	return err
}

// httpServer is the server that serve runs, with a timeout for every
// phase of a request, so that slow or idle clients cannot hold
// connections for ever.
func (a *app) httpServer() *http.Server {
	return &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second, // a queue of password hashes included
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

func dbKind(spec string) string {
	if isPostgres(spec) {
		return "postgres"
	}
	return "sqlite:" + spec
}

// sweep deletes expired rows now and then until ctx ends.
func (a *app) sweep(ctx context.Context) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		if err := a.db.deleteExpired(ctx, a.now()); err != nil && ctx.Err() == nil {
			a.log.Warn("sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
