// Package storetest checks an implementation of [guard.Store] (and of
// [guard.RecoveryStore], when it has one) against the contract the Guard
// relies on, in the manner of testing/fstest.TestFS.
//
// A store for another database runs the same suite as the stores of this
// module:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) guard.Store {
//			return mystore.New(connect(t), "otp_state") // a new handle onto one shared database
//		})
//	}
//
// Every call of open must return a new handle onto one shared storage, as
// another server of the service would hold: the suite checks that each
// handle sees the others' writes, and that of many handles racing one
// compare-and-swap exactly one wins. Run uses account names of its own,
// with a random part, so it may share a database with other tests; it
// never deletes what it did not write.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
)

// Run checks the stores that open returns. It fails t for every part of the
// contract a store gets wrong, each in a subtest named for the rule.
func Run(t *testing.T, open func(t *testing.T) guard.Store) {
	t.Helper()
	s := &suite{open: open, prefix: "storetest " + rand.Text()[:10] + " "}
	for _, c := range []struct {
		name string
		run  func(*suite, *testing.T)
	}{
		{"UnknownAccountIsZero", (*suite).unknownIsZero},
		{"InsertFromZero", (*suite).insertFromZero},
		{"StaleCompareChangesNothing", (*suite).staleCompare},
		{"FieldsRoundTrip", (*suite).fieldsRoundTrip},
		{"BackToZero", (*suite).backToZero},
		{"HandlesShareWrites", (*suite).handlesShare},
		{"OneWinnerAmongHandles", (*suite).oneWinner},
		{"AccountsByteForByte", (*suite).byteForByte},
		{"Recovery", (*suite).recovery},
		{"GuardAcceptsOnce", (*suite).guardCodeOnce},
		{"GuardRecoveryOnce", (*suite).guardRecoveryOnce},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(s, t)
		})
	}
}

type suite struct {
	open   func(t *testing.T) guard.Store
	prefix string
}

// account returns a name of the suite's own for a test.
func (s *suite) account(name string) string { return s.prefix + name }

func load(t *testing.T, st guard.Store, account string) guard.State {
	t.Helper()
	got, err := st.Load(context.Background(), account)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

func update(t *testing.T, st guard.Store, account string, old, new guard.State) bool {
	t.Helper()
	ok, err := st.Update(context.Background(), account, old, new)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return ok
}

// mustUpdate is an Update that the contract says must succeed.
func mustUpdate(t *testing.T, st guard.Store, account string, old, new guard.State) {
	t.Helper()
	if !update(t, st, account, old, new) {
		t.Fatalf("Update(%+v -> %+v) reported false over the stored state", old, new)
	}
}

func expectState(t *testing.T, st guard.Store, account string, want guard.State, why string) {
	t.Helper()
	if got := load(t, st, account); !got.Equal(want) {
		t.Errorf("%s: Load = %+v, want %+v", why, got, want)
	}
}

func (s *suite) unknownIsZero(t *testing.T) {
	expectState(t, s.open(t), s.account("never written"), guard.State{}, "an account never written")
}

func (s *suite) insertFromZero(t *testing.T) {
	st, a := s.open(t), s.account("insert")
	first := guard.State{Next: 7, Failures: 1}
	mustUpdate(t, st, a, guard.State{}, first)
	expectState(t, st, a, first, "after inserting from the zero State")
	if update(t, st, a, guard.State{}, guard.State{Next: 9}) {
		t.Errorf("a second Update from the zero State succeeded over a stored state")
	}
	expectState(t, st, a, first, "after a second insert from the zero State")
}

func (s *suite) staleCompare(t *testing.T) {
	st, a := s.open(t), s.account("stale")
	cur := guard.State{Next: 3, Drift: -2, Failures: 2, NotBefore: time.UnixMilli(1_700_000_000_123), Devices: 5, Write: 77}
	mustUpdate(t, st, a, guard.State{}, cur)
	differs := func(edit func(*guard.State)) guard.State { s := cur; edit(&s); return s }
	for name, stale := range map[string]guard.State{
		"Next differs":      differs(func(s *guard.State) { s.Next++ }),
		"Drift differs":     differs(func(s *guard.State) { s.Drift = 2 }),
		"Failures differs":  differs(func(s *guard.State) { s.Failures-- }),
		"NotBefore differs": differs(func(s *guard.State) { s.NotBefore = s.NotBefore.Add(time.Millisecond) }),
		"NotBefore zero":    differs(func(s *guard.State) { s.NotBefore = time.Time{} }),
		"Devices differs":   differs(func(s *guard.State) { s.Devices++ }),
		"Write differs":     differs(func(s *guard.State) { s.Write++ }),
		"zero State":        {},
	} {
		if update(t, st, a, stale, guard.State{Next: 100}) {
			t.Errorf("Update with a stale old (%s) succeeded", name)
		}
	}
	expectState(t, st, a, cur, "after stale compare-and-swaps")
	next := guard.State{Next: 4}
	mustUpdate(t, st, a, cur, next)
	expectState(t, st, a, next, "after a compare-and-swap from the stored state")
}

// edgeStates are values at the edges of each field's range.
var edgeStates = []guard.State{
	{Next: math.MaxUint64},
	{Next: math.MaxUint64 - 1, Failures: 100},
	{Next: 1 << 63},
	{Next: 1<<63 - 1},
	{Next: 1},
	{Failures: 1, NotBefore: time.UnixMilli(1)},
	{Failures: 100, NotBefore: time.UnixMilli(253402300799999)}, // 9999-12-31T23:59:59.999Z
	{NotBefore: time.UnixMilli(1_700_000_000_001)},
	{NotBefore: time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC)},
	{Next: 37037037, Failures: 4, NotBefore: time.UnixMilli(1_111_111_110_999)},
	{Drift: math.MinInt64, Devices: math.MaxUint64, Write: 1},
	{Drift: math.MaxInt64, Devices: 1 << 63, Write: math.MaxUint64},
	{Drift: -1, Write: 1 << 63},
	{Next: 3, Drift: 3000, Failures: 7, NotBefore: time.UnixMilli(2_000_000_000_000), Devices: 2, Write: 0x0123456789abcdef},
}

func (s *suite) fieldsRoundTrip(t *testing.T) {
	st, a := s.open(t), s.account("round trip")
	old := guard.State{}
	for _, want := range edgeStates {
		mustUpdate(t, st, a, old, want)
		expectState(t, st, a, want, "every field exactly as written")
		expectState(t, s.open(t), a, want, "through another handle")
		old = want
	}
}

func (s *suite) backToZero(t *testing.T) {
	st, a := s.open(t), s.account("back to zero")
	one := guard.State{Next: 5, Failures: 1}
	mustUpdate(t, st, a, guard.State{}, one)
	mustUpdate(t, st, a, one, guard.State{})
	expectState(t, st, a, guard.State{}, "after an Update to the zero State")
	two := guard.State{Failures: 2}
	mustUpdate(t, st, a, guard.State{}, two)
	expectState(t, st, a, two, "after an insert over a state written back to zero")
}

func (s *suite) handlesShare(t *testing.T) {
	a := s.account("handles")
	h1, h2 := s.open(t), s.open(t)
	one := guard.State{Next: 11}
	mustUpdate(t, h1, a, guard.State{}, one)
	expectState(t, h2, a, one, "one handle's write, read through another")
	if update(t, h2, a, guard.State{}, guard.State{Next: 99}) {
		t.Errorf("a handle's insert from the zero State won over another handle's write")
	}
	two := guard.State{Next: 12, Failures: 1}
	mustUpdate(t, h2, a, one, two)
	expectState(t, h1, a, two, "the second handle's write, read through the first")
}

// oneWinner races compare-and-swaps from the same old state on many
// handles, several rounds, from the zero State and from a stored one.
func (s *suite) oneWinner(t *testing.T) {
	const handles, perHandle, rounds = 8, 4, 5
	stores := make([]guard.Store, handles)
	for i := range stores {
		stores[i] = s.open(t)
	}
	a := s.account("race")
	old := guard.State{}
	for round := range rounds {
		var mu sync.Mutex
		var winners []guard.State
		var start, done sync.WaitGroup
		start.Add(1)
		for h := range handles {
			for k := range perHandle {
				done.Go(func() {
					start.Wait()
					mine := guard.State{Next: uint64(round*1000 + h*perHandle + k + 1), Failures: round}
					ok, err := stores[h].Update(context.Background(), a, old, mine)
					if err != nil {
						t.Errorf("Update: %v", err)
						return
					}
					if ok {
						mu.Lock()
						winners = append(winners, mine)
						mu.Unlock()
					}
				})
			}
		}
		start.Done()
		done.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d of %d concurrent compare-and-swaps from one state succeeded, want exactly 1", round, len(winners), handles*perHandle)
		}
		expectState(t, stores[0], a, winners[0], "the winner's state")
		old = winners[0]
	}
}

// byteForByte checks that names a collation would fold together stay
// apart: case, trailing spaces, accents, Unicode normalisation forms.
func (s *suite) byteForByte(t *testing.T) {
	st := s.open(t)
	names := []string{
		"alice", "Alice", "ALICE", "alice ", " alice", "alice\t", "alice\u00a0",
		"jos\u00e9", "jose\u0301", "JOS\u00c9", "stra\u00dfe", "strasse", "\u0430lice",
	}
	for i, n := range names {
		mustUpdate(t, st, s.account(n), guard.State{}, guard.State{Next: uint64(i + 1)})
	}
	for i, n := range names {
		expectState(t, st, s.account(n), guard.State{Next: uint64(i + 1)}, "account "+quote(n)+" compared byte for byte")
	}
	long := s.account(string(slices.Repeat([]byte("x"), 200)))
	mustUpdate(t, st, long, guard.State{}, guard.State{Next: 1})
	expectState(t, st, long, guard.State{Next: 1}, "a 200-byte account name")
	expectState(t, st, long[:len(long)-1], guard.State{}, "a prefix of a long account name")
}

func quote(s string) string { return "\"" + s + "\"" }

// recovery checks RecoveryStore, if the store has it.
func (s *suite) recovery(t *testing.T) {
	if _, ok := s.open(t).(guard.RecoveryStore); !ok {
		t.Skip("the store keeps no recovery codes (no guard.RecoveryStore)")
	}
	for _, c := range []struct {
		name string
		run  func(*suite, *testing.T)
	}{
		{"ReplacedNotMerged", (*suite).recoveryReplaced},
		{"ConsumedOnce", (*suite).recoveryConsumedOnce},
		{"OwnAccountOnly", (*suite).recoveryOwnAccount},
		{"OneWinnerAmongHandles", (*suite).recoveryRace},
		{"ConcurrentReplacements", (*suite).recoveryConcurrentSets},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(s, t)
		})
	}
}

func (s *suite) recoveryStore(t *testing.T) guard.RecoveryStore {
	t.Helper()
	return s.open(t).(guard.RecoveryStore)
}

// hashes returns n recovery code hashes of account, as the Guard stores them.
func hashes(t *testing.T, account string, n int) []string {
	t.Helper()
	codes, err := guard.GenerateRecoveryCodes(n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, n)
	for i, c := range codes {
		if out[i], err = guard.HashRecoveryCode(account, c); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func set(t *testing.T, rs guard.RecoveryStore, account string, hs []string) {
	t.Helper()
	if err := rs.SetRecoveryHashes(context.Background(), account, hs); err != nil {
		t.Fatalf("SetRecoveryHashes: %v", err)
	}
}

func consume(t *testing.T, rs guard.RecoveryStore, account, hash string) bool {
	t.Helper()
	ok, err := rs.ConsumeRecoveryHash(context.Background(), account, hash)
	if err != nil {
		t.Fatalf("ConsumeRecoveryHash: %v", err)
	}
	return ok
}

func expectCount(t *testing.T, rs guard.RecoveryStore, account string, want int, why string) {
	t.Helper()
	n, err := rs.CountRecoveryHashes(context.Background(), account)
	if err != nil {
		t.Fatalf("CountRecoveryHashes: %v", err)
	}
	if n != want {
		t.Errorf("%s: CountRecoveryHashes = %d, want %d", why, n, want)
	}
}

func (s *suite) recoveryReplaced(t *testing.T) {
	rs, a := s.recoveryStore(t), s.account("recovery replaced")
	expectCount(t, rs, a, 0, "an account never given codes")
	first, second := hashes(t, a, 3), hashes(t, a, 2)
	set(t, rs, a, first)
	expectCount(t, rs, a, 3, "after the first set")
	set(t, rs, a, second)
	expectCount(t, rs, a, 2, "after a replacement")
	if consume(t, rs, a, first[0]) {
		t.Errorf("a hash of the replaced set was consumed: the sets were merged")
	}
	if !consume(t, rs, a, second[1]) {
		t.Errorf("a hash of the new set was not there")
	}
	set(t, rs, a, nil)
	expectCount(t, rs, a, 0, "after setting an empty set")
	if consume(t, rs, a, second[0]) {
		t.Errorf("a hash survived setting an empty set")
	}
}

func (s *suite) recoveryConsumedOnce(t *testing.T) {
	rs, a := s.recoveryStore(t), s.account("recovery once")
	hs := hashes(t, a, 4)
	set(t, rs, a, hs)
	if !consume(t, rs, a, hs[2]) {
		t.Fatalf("a stored hash was not consumed")
	}
	if consume(t, rs, a, hs[2]) {
		t.Errorf("a hash was consumed twice")
	}
	expectCount(t, rs, a, 3, "after one consumption")
	upper := []byte(hs[1])
	for i, c := range upper {
		if 'a' <= c && c <= 'z' {
			upper[i] = c - 'a' + 'A'
		}
	}
	if consume(t, rs, a, string(upper)) {
		t.Errorf("a hash in other case was consumed: hashes must compare byte for byte")
	}
	if consume(t, rs, a, hs[1]+" ") {
		t.Errorf("a hash with a trailing space was consumed: hashes must compare byte for byte")
	}
	expectCount(t, rs, a, 3, "after near misses")
	if !consume(t, s.recoveryStore(t), a, hs[3]) {
		t.Errorf("another handle did not find a stored hash")
	}
	expectCount(t, rs, a, 2, "after a consumption through another handle")
}

func (s *suite) recoveryOwnAccount(t *testing.T) {
	rs := s.recoveryStore(t)
	alice, bob, upper := s.account("recovery alice"), s.account("recovery bob"), s.account("recovery ALICE")
	hs := hashes(t, alice, 2)
	set(t, rs, alice, hs)
	set(t, rs, bob, hashes(t, bob, 1))
	if consume(t, rs, bob, hs[0]) {
		t.Errorf("another account consumed a hash")
	}
	if consume(t, rs, upper, hs[0]) {
		t.Errorf("an account differing in case consumed a hash")
	}
	expectCount(t, rs, alice, 2, "after other accounts' attempts")
	expectCount(t, rs, bob, 1, "bob's own set")
}

func (s *suite) recoveryRace(t *testing.T) {
	const handles, perHandle = 8, 3
	a := s.account("recovery race")
	stores := make([]guard.RecoveryStore, handles)
	for i := range stores {
		stores[i] = s.recoveryStore(t)
	}
	hs := hashes(t, a, 3)
	set(t, stores[0], a, hs)
	var mu sync.Mutex
	wins := 0
	var start, done sync.WaitGroup
	start.Add(1)
	for h := range handles {
		for range perHandle {
			done.Go(func() {
				start.Wait()
				ok, err := stores[h].ConsumeRecoveryHash(context.Background(), a, hs[1])
				if err != nil {
					t.Errorf("ConsumeRecoveryHash: %v", err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
	}
	start.Done()
	done.Wait()
	if wins != 1 {
		t.Errorf("%d of %d concurrent consumptions of one hash succeeded, want exactly 1", wins, handles*perHandle)
	}
	expectCount(t, stores[0], a, 2, "after the race")
}

func (s *suite) recoveryConcurrentSets(t *testing.T) {
	const handles = 4
	a := s.account("recovery sets")
	sets := make([][]string, handles)
	var done sync.WaitGroup
	for h := range handles {
		sets[h] = hashes(t, a, 10)
		rs := s.recoveryStore(t)
		done.Go(func() {
			if err := rs.SetRecoveryHashes(context.Background(), a, sets[h]); err != nil {
				t.Errorf("SetRecoveryHashes: %v", err)
			}
		})
	}
	done.Wait()
	rs := s.recoveryStore(t)
	expectCount(t, rs, a, 10, "after concurrent replacements: one whole set, never a union")
	survivors := 0
	for _, hs := range sets {
		if consume(t, rs, a, hs[0]) {
			survivors++
		}
	}
	if survivors != 1 {
		t.Errorf("after concurrent replacements, hashes of %d sets were there, want 1", survivors)
	}
}

// guardTOTP is the TOTP of the Guard checks: the RFC 6238 SHA-1 secret.
var guardTOTP = otp.TOTP{Secret: []byte("12345678901234567890"), Skew: 1}

// raceGuards returns one Guard per new handle, at a fixed time, with a
// Policy that counts a race of wrong codes without throttling any.
func (s *suite) raceGuards(t *testing.T, n int, now time.Time) []*guard.Guard {
	guards := make([]*guard.Guard, n)
	for i := range guards {
		guards[i] = &guard.Guard{Store: s.open(t), Now: func() time.Time { return now },
			Policy: guard.Policy{FreeFailures: 100, LockAfter: 100}}
	}
	return guards
}

// race runs attempt n times at once, spread over the guards, and counts
// the outcomes: "ok", or the error's text.
func race(guards []*guard.Guard, n int, attempt func(g *guard.Guard) error) map[string]int {
	var mu sync.Mutex
	counts := map[string]int{}
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			err := attempt(guards[i%len(guards)])
			name := "ok"
			switch {
			case errors.Is(err, otp.ErrReplayed):
				name = "replayed"
			case errors.Is(err, otp.ErrInvalidCode):
				name = "invalid"
			case err != nil:
				name = err.Error()
			}
			mu.Lock()
			counts[name]++
			mu.Unlock()
		})
	}
	start.Done()
	done.Wait()
	return counts
}

// guardCodeOnce races one right code and many wrong ones through Guards on
// many handles: the code is accepted exactly once, and every attempt is
// counted.
func (s *suite) guardCodeOnce(t *testing.T) {
	now := time.Unix(1111111109, 0)
	code, err := guardTOTP.Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	guards := s.raceGuards(t, 4, now)
	const n = 24
	a, b := s.account("guard right code"), s.account("guard wrong codes")
	got := race(guards, n, func(g *guard.Guard) error { return g.VerifyTOTP(context.Background(), a, guardTOTP, code) })
	if got["ok"] != 1 || got["replayed"] != n-1 {
		t.Errorf("one code raced %d times through %d handles: %v, want ok 1 and replayed %d", n, len(guards), got, n-1)
	}
	got = race(guards, n, func(g *guard.Guard) error { return g.VerifyTOTP(context.Background(), b, guardTOTP, "000000") })
	if got["invalid"] != n {
		t.Errorf("%d wrong codes raced: %v, want invalid %d", n, got, n)
	}
	for account, want := range map[string]int{a: n - 1, b: n} {
		if st := load(t, s.open(t), account); st.Failures != want {
			t.Errorf("after the race, %d failures stored, want %d: a lost update", st.Failures, want)
		}
	}
}

// guardRecoveryOnce races one recovery code through Guards on many
// handles: it works once, and every other attempt is counted.
func (s *suite) guardRecoveryOnce(t *testing.T) {
	if _, ok := s.open(t).(guard.RecoveryStore); !ok {
		t.Skip("the store keeps no recovery codes (no guard.RecoveryStore)")
	}
	guards := s.raceGuards(t, 4, time.Now())
	a := s.account("guard recovery")
	codes, err := guard.GenerateRecoveryCodes(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := guards[0].SetRecoveryCodes(context.Background(), a, codes); err != nil {
		t.Fatal(err)
	}
	const n = 16
	got := race(guards, n, func(g *guard.Guard) error { return g.UseRecoveryCode(context.Background(), a, codes[0]) })
	if got["ok"] != 1 || got["invalid"] != n-1 {
		t.Errorf("one recovery code raced %d times: %v, want ok 1 and invalid %d", n, got, n-1)
	}
	left, err := guards[1].RecoveryCodesLeft(context.Background(), a)
	if err != nil || left != 1 {
		t.Errorf("RecoveryCodesLeft = %d, %v; want 1", left, err)
	}
}
