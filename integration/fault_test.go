package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault tests make attempts while something breaks, log what every
// caller was told, and check it against what the store holds after:
//
//   - no code is accepted twice, and no wrong code at all;
//   - no failure a caller was told was counted is missing;
//   - no success or counted failure is stored while its caller was told
//     that nothing was committed: only an error that wraps
//     guard.ErrOutcomeUnknown (or a caller that died) leaves that open.
//
// Accounts "right N" get the right code of one fixed time step, over and
// over: after the first acceptance every attempt is a counted replay.
// Accounts "wrong N" get a wrong code.

// The MySQL driver logs each connection the proxy drops; the tests count
// them instead.
func init() { mysql.SetLogger(log.New(io.Discard, "", 0)) }

// tally is what the callers of one account were told.
type tally struct {
	ok      int // accepted
	failed  int // a counted failure (a *guard.FailureError)
	unknown int // guard.ErrOutcomeUnknown, or the caller was killed mid-attempt
	refused int // anything else: nothing committed
}

// ledger is every account's tally.
type ledger struct {
	mu sync.Mutex
	m  map[string]*tally
}

func newLedger() *ledger { return &ledger{m: map[string]*tally{}} }

// class names what an error told its caller.
func class(err error) string {
	var fe *guard.FailureError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, guard.ErrOutcomeUnknown):
		return "unknown"
	case errors.As(err, &fe):
		return "failed"
	}
	return "refused"
}

// classOf is class for a name of outcome, as a child process reports it.
func classOf(outcome string) string {
	switch outcome {
	case "ok", "unknown":
		return outcome
	case "replayed", "invalid":
		return "failed"
	}
	return "refused"
}

func (l *ledger) add(account, class string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.m[account]
	if c == nil {
		c = &tally{}
		l.m[account] = c
	}
	switch class {
	case "ok":
		c.ok += n
	case "failed":
		c.failed += n
	case "unknown":
		c.unknown += n
	default:
		c.refused += n
	}
}

// total sums the tallies, for the log.
func (l *ledger) total() tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	var sum tally
	for _, c := range l.m {
		sum.ok, sum.failed, sum.unknown, sum.refused = sum.ok+c.ok, sum.failed+c.failed, sum.unknown+c.unknown, sum.refused+c.refused
	}
	return sum
}

// check compares every account's tally with its stored state; step is the
// time step of the right code.
func (l *ledger) check(t *testing.T, s guard.Store, step uint64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for account, c := range l.m {
		st, err := s.Load(context.Background(), account)
		require.NoError(t, err)
		f := st.Failures
		assert.LessOrEqual(t, c.failed, f, "%s: %+v, %d failures stored: a counted failure lost", account, *c, f)
		assert.LessOrEqual(t, f, c.failed+c.unknown, "%s: %+v, %d failures stored: a failure stored while its caller was told nothing was committed", account, *c, f)
		if strings.HasPrefix(account, "wrong") {
			assert.Zero(t, c.ok, "%s: a wrong code accepted", account)
			continue
		}
		accepted := st.Next > step
		assert.LessOrEqual(t, c.ok, 1, "%s: %+v: one code accepted more than once", account, *c)
		if c.ok > 0 {
			assert.True(t, accepted, "%s: %+v: a caller was told the code was accepted, and the store does not hold it", account, *c)
		}
		if accepted && c.ok == 0 {
			assert.Positive(t, c.unknown, "%s: %+v: an acceptance stored while every caller was told an error", account, *c)
		}
	}
}

// workload is many goroutines making attempts on a few accounts.
type workload struct {
	accounts int           // of each kind
	workers  int           // goroutines, spread over the guards
	attempts int           // per worker, at most
	duration time.Duration // and for at most this long
	pause    time.Duration // between a worker's attempts
	// deadline returns the context of one attempt.
	deadline func() (context.Context, context.CancelFunc)
}

// run makes the attempts through guards, logging each outcome in l. The
// guards' clock stands at at1111111109.
func (w workload) run(t *testing.T, guards []*guard.Guard, l *ledger) {
	t.Helper()
	right, wrong := mustCode(t, at1111111109), wrongCode(t, at1111111109)
	if w.deadline == nil {
		w.deadline = func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 5*time.Second)
		}
	}
	end := time.Now().Add(w.duration)
	var wg sync.WaitGroup
	for i := range w.workers {
		g := guards[i%len(guards)]
		wg.Go(func() {
			for range w.attempts {
				if time.Now().After(end) {
					return
				}
				account, code := fmt.Sprintf("right %d", rand.N(w.accounts)), right
				if rand.N(2) == 0 {
					account, code = fmt.Sprintf("wrong %d", rand.N(w.accounts)), wrong
				}
				ctx, cancel := w.deadline()
				err := g.VerifyTOTP(ctx, account, guardTOTP, code)
				cancel()
				l.add(account, class(err), 1)
				time.Sleep(w.pause)
			}
		})
	}
	wg.Wait()
}

// faultGuards returns n Guards, each on a handle of its own, at the
// fixed time, with a Policy that never throttles the run.
func faultGuards(t *testing.T, n int, open func(t testing.TB) guard.Store) []*guard.Guard {
	guards := make([]*guard.Guard, n)
	for i := range guards {
		guards[i] = &guard.Guard{Store: open(t), Now: fixedNow(at1111111109), Policy: racePolicy}
	}
	return guards
}

// shortDeadlines gives 70% of attempts a deadline of 0.2 to 2 ms.
func shortDeadlines() (context.Context, context.CancelFunc) {
	d := 5 * time.Second
	if rand.N(10) < 7 {
		d = 200*time.Microsecond + rand.N(1800*time.Microsecond)
	}
	return context.WithTimeout(context.Background(), d)
}

var rightStep = func() uint64 { s, _ := guardTOTP.Step(at1111111109); return s }()

// TestFaultShortDeadlines: attempts on every store with deadlines of 0.2
// to 2 ms on most calls, so that many end mid-write.
func TestFaultShortDeadlines(t *testing.T) {
	t.Parallel()
	for name, newDB := range storeDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			check := d.prepared(t)
			l := newLedger()
			w := workload{accounts: 8, workers: 8, attempts: 60, duration: 3 * time.Second, deadline: shortDeadlines}
			w.run(t, faultGuards(t, 4, d.handle), l)
			t.Logf("told: %+v", l.total())
			l.check(t, check, rightStep)
		})
	}
}

// proxy forwards local connections to a server and drops each one, both
// ways at once, after a random lifetime: mid-stream, whatever is in flight.
type proxy struct {
	ln      net.Listener
	target  string
	maxLife time.Duration
	drops   atomic.Int64
	wg      sync.WaitGroup
}

func startProxy(t *testing.T, target string, maxLife time.Duration) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target, maxLife: maxLife}
	p.wg.Go(p.serve)
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.pipe(c) })
	}
}

func (p *proxy) pipe(c net.Conn) {
	defer c.Close()
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer u.Close()
	drop := time.AfterFunc(rand.N(p.maxLife)+time.Millisecond, func() {
		p.drops.Add(1)
		c.Close()
		u.Close()
	})
	defer drop.Stop()
	done := make(chan struct{})
	go func() { io.Copy(u, c); u.Close(); close(done) }()
	io.Copy(c, u)
	c.Close()
	<-done
}

// viaProxy returns d's DSN pointed at a dropping proxy in front of its
// server, and the proxy.
func viaProxy(t *testing.T, d testDB, maxLife time.Duration) (testDB, *proxy) {
	t.Helper()
	switch d.driver {
	case "redis":
		p := startProxy(t, d.dsn, maxLife)
		d.dsn = p.addr()
		return d, p
	case "mysql":
		cfg, err := mysql.ParseDSN(d.dsn)
		require.NoError(t, err)
		p := startProxy(t, cfg.Addr, maxLife)
		cfg.Addr = p.addr()
		d.dsn = cfg.FormatDSN()
		return d, p
	case "pgx":
		u, err := url.Parse(d.dsn)
		require.NoError(t, err)
		p := startProxy(t, u.Host, maxLife)
		u.Host = p.addr()
		d.dsn = u.String()
		return d, p
	}
	t.Fatalf("%s has no server to put a proxy in front of", d.driver) // callers leave SQLite out
	return d, nil
}

// TestFaultDroppedConnections: attempts through a proxy that drops every
// connection after a random few milliseconds, on each store with a server.
func TestFaultDroppedConnections(t *testing.T) {
	t.Parallel()
	for name, newDB := range storeDatabases {
		if name == "sqlite" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			check := d.prepared(t)
			dropping, p := viaProxy(t, d, 30*time.Millisecond)
			l := newLedger()
			w := workload{accounts: 8, workers: 8, attempts: 60, duration: 3 * time.Second}
			w.run(t, faultGuards(t, 4, dropping.handle), l)
			t.Logf("told: %+v; %d connections dropped", l.total(), p.drops.Load())
			l.check(t, check, rightStep)
		})
	}
}

// TestFaultKilledClients: child processes make attempts, and one of them
// is killed (SIGKILL) mid-run; its attempts that reported nothing may or
// may not have landed.
func TestFaultKilledClients(t *testing.T) {
	t.Parallel()
	const procs, perProc, accounts = 4, 48, 6
	for name, newDB := range storeDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			check := d.prepared(t)
			right, wrong := mustCode(t, at1111111109), wrongCode(t, at1111111109)
			tasks := make([]childTask, procs)
			for i := range tasks {
				tasks[i] = childTask{Driver: d.driver, DSN: d.dsn, Table: d.table, Now: at1111111109.UnixNano(), Workers: 4}
				for k := range perProc {
					a := childAttempt{Account: fmt.Sprintf("right %d", k%accounts), Code: right}
					if k%2 == 1 {
						a = childAttempt{Account: fmt.Sprintf("wrong %d", k%accounts), Code: wrong}
					}
					tasks[i].Attempts = append(tasks[i].Attempts, a)
				}
			}
			l := newLedger()
			streamProcesses(t, tasks, l, perProc/4)
			t.Logf("told: %+v", l.total())
			l.check(t, check, rightStep)
		})
	}
}

// streamProcesses runs one child per task, logging each result as it comes,
// and kills the first child once it has reported killAfter results. The
// attempts it did not report count as unknown.
func streamProcesses(t *testing.T, tasks []childTask, l *ledger, killAfter int) {
	t.Helper()
	children := startChildren(t, tasks)
	var wg sync.WaitGroup
	for i, c := range children {
		wg.Go(func() {
			pending := map[string]int{}
			for _, a := range tasks[i].Attempts {
				pending[a.Account]++
			}
			reported := 0
			for c.out.Scan() {
				r, ok := strings.CutPrefix(c.out.Text(), "result ")
				if !ok {
					continue
				}
				at := strings.LastIndexByte(r, ' ')
				account := r[:at]
				l.add(account, classOf(r[at+1:]), 1)
				pending[account]--
				if reported++; i == 0 && reported == killAfter {
					c.cmd.Process.Kill()
				}
			}
			err := c.cmd.Wait()
			if i != 0 {
				assert.NoError(t, err, "a child that was not killed")
			}
			for account, n := range pending {
				l.add(account, "unknown", n)
			}
		})
	}
	wg.Wait()
}
