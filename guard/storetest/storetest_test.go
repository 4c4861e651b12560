package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/otpkit/otp/guard/storetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	shared := guard.NewMemoryStore()
	storetest.Run(t, func(*testing.T) guard.Store { return shared })
}

// brokenEnv names the broken store a child process runs the suite on.
const brokenEnv = "STORETEST_BROKEN"

// broken are stores that each get one rule wrong, and the subtest of Run
// that must catch it.
var broken = map[string]struct {
	open func() func(*testing.T) guard.Store
	want string
}{
	"case-insensitive accounts": {shared(func(m *fakeStore) { m.key = strings.ToLower }), "AccountsByteForByte"},
	"trailing spaces trimmed":   {shared(func(m *fakeStore) { m.key = func(s string) string { return strings.TrimRight(s, " ") } }), "AccountsByteForByte"},
	"long names truncated": {shared(func(m *fakeStore) {
		m.key = func(s string) string { return s[:min(len(s), 64)] }
	}), "AccountsByteForByte"},
	"compare ignored":         {shared(func(m *fakeStore) { m.ignoreOld = true }), "StaleCompareChangesNothing"},
	"compare and swap racy":   {shared(func(m *fakeStore) { m.racy = true }), "OneWinnerAmongHandles"},
	"NotBefore in seconds":    {shared(func(m *fakeStore) { m.round = time.Second }), "FieldsRoundTrip"},
	"Next in 63 bits":         {shared(func(m *fakeStore) { m.mask = 1<<63 - 1 }), "FieldsRoundTrip"},
	"Drift not kept":          {shared(func(m *fakeStore) { m.dropDrift = true }), "FieldsRoundTrip"},
	"handles not shared":      {func() func(*testing.T) guard.Store { return func(*testing.T) guard.Store { return newFake() } }, "HandlesShareWrites"},
	"recovery sets merged":    {shared(func(m *fakeStore) { m.merge = true }), "Recovery/ReplacedNotMerged"},
	"recovery consumed twice": {shared(func(m *fakeStore) { m.keepConsumed = true }), "Recovery/ConsumedOnce"},
	"recovery any account":    {shared(func(m *fakeStore) { m.anyAccount = true }), "Recovery/OwnAccountOnly"},
	"recovery hashes folded":  {shared(func(m *fakeStore) { m.foldHash = true }), "Recovery/ConsumedOnce"},
	"recovery consume racy":   {shared(func(m *fakeStore) { m.racyConsume = true }), "Recovery/OneWinnerAmongHandles"},
	"zero State not a delete": {shared(func(m *fakeStore) { m.zeroIsRow = true }), "BackToZero"},
}

// TestBrokenStoresFail runs the suite on each broken store in a child
// process, which must fail in the subtest for its rule: a suite that
// passed a broken store would be no check at all.
func TestBrokenStoresFail(t *testing.T) {
	t.Parallel()
	for name, b := range broken {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the suite passed a store with %s:\n%s", name, out)
			assert.Contains(t, string(out), "--- FAIL: TestBrokenChild/"+b.want, "the rule that fails:\n%s", out)
		})
	}
}

// TestBrokenChild is the child side of TestBrokenStoresFail; it does
// nothing unless a parent started it.
func TestBrokenChild(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		return // a helper process, as os/exec's TestHelperProcess
	}
	storetest.Run(t, broken[name].open())
}

// shared returns an opener whose handles all share one fakeStore with a
// flaw.
func shared(flaw func(*fakeStore)) func() func(*testing.T) guard.Store {
	return func() func(*testing.T) guard.Store {
		m := newFake()
		flaw(m)
		return func(*testing.T) guard.Store { return m }
	}
}

// fakeStore is a store with switches for the mistakes real stores make.
type fakeStore struct {
	mu       sync.Mutex
	states   map[string]guard.State
	recovery map[string][]string

	key                              func(string) string
	ignoreOld, racy, zeroIsRow       bool
	round                            time.Duration
	mask                             uint64
	merge, keepConsumed, anyAccount  bool
	foldHash, racyConsume, dropDrift bool
}

func newFake() *fakeStore {
	return &fakeStore{states: map[string]guard.State{}, recovery: map[string][]string{},
		key: func(s string) string { return s }, mask: ^uint64(0)}
}

func (m *fakeStore) Load(_ context.Context, account string) (guard.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.states[m.key(account)], nil
}

func (m *fakeStore) Update(_ context.Context, account string, old, new guard.State) (bool, error) {
	k := m.key(account)
	m.mu.Lock()
	cur, ok := m.states[k]
	m.mu.Unlock()
	if !m.ignoreOld && (!cur.Equal(old) || m.zeroIsRow && ok && old.Equal(guard.State{})) {
		return false, nil
	}
	if m.racy {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	} else {
		m.mu.Lock()
		defer m.mu.Unlock()
		if !m.ignoreOld && !m.states[k].Equal(cur) {
			return false, nil
		}
	}
	if m.racy {
		m.mu.Lock()
		defer m.mu.Unlock()
	}
	if m.round > 0 {
		new.NotBefore = new.NotBefore.Truncate(m.round)
	}
	new.Next &= m.mask
	if m.dropDrift {
		new.Drift = 0
	}
	if new.Equal(guard.State{}) && !m.zeroIsRow {
		delete(m.states, k)
	} else {
		m.states[k] = new
	}
	return true, nil
}

func (m *fakeStore) SetRecoveryHashes(_ context.Context, account string, hashes []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.key(account)
	if m.merge {
		m.recovery[k] = append(m.recovery[k], hashes...)
		return nil
	}
	m.recovery[k] = append([]string(nil), hashes...)
	return nil
}

func (m *fakeStore) ConsumeRecoveryHash(_ context.Context, account, hash string) (bool, error) {
	m.mu.Lock()
	k := m.key(account)
	var found string
	var in string
	for acc, set := range m.recovery {
		if acc != k && !m.anyAccount {
			continue
		}
		for _, h := range set {
			if h == hash || m.foldHash && strings.EqualFold(h, hash) {
				found, in = h, acc
			}
		}
	}
	m.mu.Unlock()
	if found == "" {
		return false, nil
	}
	if m.keepConsumed {
		return true, nil
	}
	if m.racyConsume {
		time.Sleep(time.Millisecond)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	set := m.recovery[in]
	for i, h := range set {
		if h == found {
			m.recovery[in] = append(set[:i:i], set[i+1:]...)
			return true, nil
		}
	}
	return m.racyConsume, nil
}

func (m *fakeStore) CountRecoveryHashes(_ context.Context, account string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recovery[m.key(account)]), nil
}
