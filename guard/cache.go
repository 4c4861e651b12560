package guard

import "sync"

// maxCached bounds how many accounts' states a Guard remembers.
const maxCached = 4096

// stateCache is the last state a Guard saw of recently used keys. It only
// saves reads: every commit is still a compare-and-swap against the store,
// so a state another server changed makes the commit fail and the attempt
// load afresh.
type stateCache struct {
	mu sync.Mutex
	m  map[string]State
}

func (c *stateCache) get(key string) (State, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	return s, ok
}

func (c *stateCache) put(key string, s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]State) // forgetting is always safe
	}
	c.m[key] = s
}

func (c *stateCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
