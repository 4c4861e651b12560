package otp

import (
	"context"
	"sync"
)

// MemoryStore is a [Store] and [RecoveryStore] in one process's memory: for
// tests, command-line tools and services that run as a single process.
// Its state is gone when the process ends, and a second process does not
// see it, so replay protection and throttling hold only within one
// process; use [SQLStore] when a service runs more than one. The zero value
// is ready to use.
type MemoryStore struct {
	mu     sync.Mutex
	states map[string]State
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
