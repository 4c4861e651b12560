// Package cli holds what the terminal examples share and what is not about
// one-time codes: prompts (with a hidden password that never leaves the
// terminal without echo), codes as people type them, private files for QR
// codes, and clean-up that also runs when the program is interrupted.
package cli

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// terminating are the signals that end a terminal program: Ctrl-C, kill,
// and the terminal closing.
var terminating = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// Exit runs clean-up functions once, when the program ends normally (Run)
// or by one of the terminating signals, so that nothing the program changed
// outlives it: a terminal left without echo, a file that holds a secret.
type Exit struct {
	mu    sync.Mutex
	next  int
	fns   map[int]func()
	sigs  chan os.Signal
	ended chan struct{}
}

// CatchExit starts catching the terminating signals. On one of them it runs
// the registered functions and then lets the signal end the program as it
// would have, so that a shell sees an interrupted program as interrupted.
// Signals the program was started ignoring (nohup) stay ignored.
func CatchExit() *Exit {
	e := &Exit{fns: map[int]func(){}, sigs: make(chan os.Signal, 1), ended: make(chan struct{})}
	for _, sig := range terminating {
		if !signal.Ignored(sig) {
			signal.Notify(e.sigs, sig)
		}
	}
	go e.wait()
	return e
}

func (e *Exit) wait() {
	select {
	case sig := <-e.sigs:
		e.runAll()
		raise(sig)
	case <-e.ended:
	}
}

// raise ends the program by sig, with the default action restored.
func raise(sig os.Signal) {
	signal.Reset(sig)
	if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(sig) == nil {
		select {} // the signal is on its way
	}
	// Where a process cannot signal itself (Windows), exit as shells
	// report an interrupted program.
	os.Exit(130)
}

// Add registers fn to run at exit and returns a function that unregisters
// it, for a change that has been undone already.
func (e *Exit) Add(fn func()) (remove func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.next
	e.next++
	e.fns[id] = fn
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.fns, id)
	}
}

// Run stops catching signals and runs the registered functions, the last
// registered first. Call it (deferred) where the program ends normally.
func (e *Exit) Run() {
	signal.Stop(e.sigs)
	close(e.ended)
	e.runAll()
}

func (e *Exit) runAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := e.next - 1; id >= 0; id-- {
		if fn, ok := e.fns[id]; ok {
			delete(e.fns, id)
			fn()
		}
	}
}
