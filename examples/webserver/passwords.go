package main

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// passwordIterations is OWASP's 2023 figure for PBKDF2-HMAC-SHA256: about
// 0.1 s of one core here. PBKDF2 is in the standard library (and FIPS
// 140-3 approved); a memory-hard hash such as Argon2id would need
// golang.org/x/crypto.
const passwordIterations = 600_000

// Password rules (NIST SP 800-63B §5.1.1.2): at least 8 characters, any
// characters, and a cap that only stops abuse.
const (
	minPasswordLen = 8
	maxPasswordLen = 1024 // bytes
)

// hasher hashes passwords with a bounded number running at once, so that
// a burst of logins queues instead of starving every other request of CPU,
// and a bounded number in flight (running or queued), so that the queue
// stays short: see admit.
type hasher struct {
	iterations int
	// slots bound the hashes running at once, one per CPU; trusted devices'
	// checks run in slots of their own (see admit).
	slots, trustedSlots chan struct{}

	mu                        sync.Mutex
	inFlight                  [2]int // untrusted, trusted: see admit
	perClient                 map[string]int
	maxInFlight, maxPerClient int
}

// Bounds on the password checks in flight. One client gets two at once (a
// double submit, a second tab), so that however many it sends it holds
// at most two of the CPU's slots; all clients together get four per CPU,
// so that a check admitted waits behind at most four hashes per core
// (about 0.4 s at 600,000 iterations) however many clients send them.
const (
	hashesPerClient = 2
	hashesPerCPU    = 4
)

func newHasher(iterations int) *hasher {
	procs := runtime.GOMAXPROCS(0)
	return &hasher{iterations: iterations, slots: make(chan struct{}, procs), trustedSlots: make(chan struct{}, procs),
		perClient: map[string]int{}, maxInFlight: hashesPerCPU * procs, maxPerClient: hashesPerClient}
}

// admit reserves a place for one password check (which may hash more than
// once) for client, an address, or reports false when client or all clients
// together have as many in flight as they may: the request is then answered
// 429 at once, before it is counted or hashes anything. A request from a
// trusted device (a browser that logged in fully, see app.device) has
// places of its own, so that a flood of attempts from elsewhere, which
// fills every other place, never keeps its owner out. Each admit that
// returns true is followed by one release with the same arguments.
func (h *hasher) admit(client string, trusted bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	pool := poolOf(trusted)
	if h.inFlight[pool] >= h.maxInFlight || h.perClient[client] >= h.maxPerClient {
		return false
	}
	h.inFlight[pool]++
	h.perClient[client]++
	return true
}

func poolOf(trusted bool) int {
	if trusted {
		return 1
	}
	return 0
}

func (h *hasher) release(client string, trusted bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inFlight[poolOf(trusted)]--
	if h.perClient[client]--; h.perClient[client] <= 0 {
		delete(h.perClient, client) // the map holds only the clients in flight
	}
}

var errBadHash = errors.New("stored password hash is malformed")

// hash returns the form to store: "pbkdf2-sha256$ITERATIONS$SALT$HASH",
// which keeps its own iteration count so that the count can be raised
// without breaking older hashes.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	sum, err := h.derive(ctx, password, salt, h.iterations)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", h.iterations, enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

// dummySalt is what verify hashes with when there is no user, so that an
// unknown name costs what a known one does.
var dummySalt = make([]byte, 16)

// verify reports whether password matches stored. An empty stored hash
// (no such user) costs the same work and reports false.
func (h *hasher) verify(ctx context.Context, password, stored string) (bool, error) {
	if stored == "" {
		_, err := h.derive(ctx, password, dummySalt, h.iterations)
		return false, err
	}
	iterations, salt, want, err := parseHash(stored)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, password, salt, iterations)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (h *hasher) derive(ctx context.Context, password string, salt []byte, iterations int) ([]byte, error) {
	slots := h.slots
	if ctx.Value(trustedHashing{}) != nil {
		slots = h.trustedSlots
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-slots }()
	return pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
}

func parseHash(stored string) (iterations int, salt, sum []byte, err error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return 0, nil, nil, errBadHash
	}
	iterations, err = strconv.Atoi(parts[1])
	if err != nil || iterations < 1 {
		return 0, nil, nil, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	sum, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(sum) != sha256.Size {
		return 0, nil, nil, errBadHash
	}
	return iterations, salt, sum, nil
}

// trustedHashing marks the context of a trusted device's password check,
// which hashes in the slots kept for those (see hasher.admit).
type trustedHashing struct{}
