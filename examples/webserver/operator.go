package main

import (
	"context"
	"errors"
	"fmt"
)

// rekey re-seals every secret that an older key sealed with the current
// key: the middle step of a key rotation (see the README). Each row is
// swapped only if it is unchanged, so running servers may go on meanwhile.
func (a *app) rekey(ctx context.Context) error {
	rows, err := a.db.sealedNotBy(ctx, a.sealer.currentID)
	if err != nil {
		return err
	}
	for _, row := range rows {
		plain, err := a.sealer.open(row.secret, row.keyID, secretAD(row.user, row.factorID))
		if err != nil {
			return fmt.Errorf("%s of %q: %w", row.table, row.user, err)
		}
		sealed, id := a.sealer.seal(plain, secretAD(row.user, row.factorID))
		if err := a.db.reseal(ctx, row, sealed, id); err != nil {
			return err
		}
	}
	a.log.Info("re-sealed secrets", "count", len(rows), "key", a.sealer.currentID)
	return nil
}

// unlock lifts the Guard's lock on a user's logins (after LockAfter
// failed passwords and codes in a row) and any wait, once an operator has
// made sure that the owner asks. What was used stays used.
func (a *app) unlock(ctx context.Context, name string) error {
	name = lookupName(name) // as a login would: "Alice" is alice
	u, err := a.db.user(ctx, name)
	if errors.Is(err, errNotFound) {
		return fmt.Errorf("no user %q", name)
	}
	if err != nil {
		return err
	}
	if err := a.guard.Reset(ctx, a.loginKey(u.name)); err != nil {
		return err
	}
	a.log.Info("unlocked", "user", name)
	return nil
}
