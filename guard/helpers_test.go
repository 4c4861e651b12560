package guard

import "testing"

// storeKinds gives every Store of this package, ready to use, to a test.
// The SQL stores run the same tests in the integration module, which has
// the drivers.
func storeKinds(t *testing.T, run func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		run(t, NewMemoryStore())
	})
}
