package guard

import (
	"context"
	"slices"
	"sync"
)

// MemoryStore is a [Store] and [RecoveryStore] in one process's memory: for
// tests, command-line tools and services that run as a single process.
// Its state is gone when the process ends, and a second process does not
// see it, so replay protection and throttling hold only within one
// process; use [SQLStore] when a service runs more than one. The zero value
// is ready to use.
type MemoryStore struct {
	mu       sync.Mutex
	states   map[string]State
	recovery map[string][]string // sorted hashes
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load returns the account's state, the zero State if it has none.
func (m *MemoryStore) Load(_ context.Context, account string) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.states[account], nil
}

// Update writes new if the account's state still equals old.
func (m *MemoryStore) Update(_ context.Context, account string, old, new State) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.states[account].Equal(old) {
		return false, nil
	}
	if new.Equal(State{}) {
		delete(m.states, account)
		return true, nil
	}
	if m.states == nil {
		m.states = map[string]State{}
	}
	m.states[account] = new
	return true, nil
}

// SetRecoveryHashes replaces the account's recovery code hashes.
func (m *MemoryStore) SetRecoveryHashes(_ context.Context, account string, hashes []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(hashes) == 0 {
		delete(m.recovery, account)
		return nil
	}
	if m.recovery == nil {
		m.recovery = map[string][]string{}
	}
	set := slices.Clone(hashes)
	slices.Sort(set)
	m.recovery[account] = slices.Compact(set)
	return nil
}

// ConsumeRecoveryHash removes hash from the account's set and reports
// whether it was there, comparing in constant time over the set.
func (m *MemoryStore) ConsumeRecoveryHash(_ context.Context, account, hash string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	set := m.recovery[account]
	i := MatchRecoveryHash(set, hash)
	if i < 0 {
		return false, nil
	}
	m.recovery[account] = slices.Delete(set, i, i+1)
	return true, nil
}

// CountRecoveryHashes returns the size of the account's set.
func (m *MemoryStore) CountRecoveryHashes(_ context.Context, account string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recovery[account]), nil
}
