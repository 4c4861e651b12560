package guard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/otpkit/otp"
)

// Recovery codes are NIST SP 800-63B §5.1.2 look-up secrets: the codes a
// user prints or saves at enrolment and types when the phone is lost. Each
// works once, on every server.
//
// # Why a fast hash is enough
//
// A code is 16 characters from an alphabet of 31, chosen by crypto/rand:
// 31^16 ≈ 2^79.3 possibilities. Only a hash is stored. Someone who steals
// the table and wants one code must try, on average, 2^78 SHA-256 hashes;
// a GPU that computes 2×10^10 a second needs about 500,000 years. A slow
// password hash exists to stretch the 20 to 40 bits of a human password;
// 79 random bits need no stretching.
//
// Each hash is bound to its account (see [HashRecoveryCode]), so a stolen
// table of many users' hashes does not let one guess be tried against all
// of them at once: every guess targets one account. What a stolen table
// gives the thief is each account's number of unused codes, and nothing
// they can type.

// recoveryAlphabet has no look-alikes: no 0 or O, no 1, I or L.
const recoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	recoveryLength = 16 // characters, about 79.3 bits
	recoveryGroup  = 4  // characters between hyphens when written out
	// DefaultRecoveryCodes is how many codes GenerateRecoveryCodes makes for 0.
	DefaultRecoveryCodes = 10
	// MaxRecoveryCodes caps GenerateRecoveryCodes and a stored set.
	MaxRecoveryCodes = 100
)

// recoveryValue maps a byte to its place in recoveryAlphabet, in either
// case; -1 for a byte people add for readability, -2 for anything else.
var recoveryValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -2
	}
	for i, c := range recoveryAlphabet {
		t[c], t[c|0x20] = int8(i), int8(i)
	}
	t[' '], t['-'], t['\t'] = -1, -1, -1
	return t
}()

// GenerateRecoveryCodes returns n new recovery codes from crypto/rand
// (n of 0 means [DefaultRecoveryCodes]), written in groups for typing:
// "7KQM-X3HB-9TZC-RW2D". Show them to the user once, store only their
// hashes ([Guard.SetRecoveryCodes] does both steps' second half), and
// replace the whole set when the user asks for new ones.
func GenerateRecoveryCodes(n int) ([]string, error) {
	if n == 0 {
		n = DefaultRecoveryCodes
	}
	if n < 0 || n > MaxRecoveryCodes {
		return nil, &ConfigError{Field: "n", Reason: strconv.Itoa(n) + " is outside 1.." + strconv.Itoa(MaxRecoveryCodes)}
	}
	codes := make([]string, n)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	return codes, nil
}

// newRecoveryCode draws each character uniformly: bytes of 248 or more
// (8×31) are thrown away, so that the remainder mod 31 has no bias.
func newRecoveryCode() string {
	var b strings.Builder
	var buf [32]byte
	for n := 0; n < recoveryLength; {
		rand.Read(buf[:])
		for _, r := range buf {
			if r >= 248 || n == recoveryLength {
				continue
			}
			if n > 0 && n%recoveryGroup == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[r%31])
			n++
		}
	}
	return b.String()
}

// normalizeRecoveryCode returns code as 16 upper-case alphabet characters,
// having dropped the spaces, tabs and hyphens people type, or false if
// anything else is wrong with it.
func normalizeRecoveryCode(code string) ([recoveryLength]byte, bool) {
	var out [recoveryLength]byte
	n := 0
	if len(code) > 4*recoveryLength {
		return out, false
	}
	for i := 0; i < len(code); i++ {
		v := recoveryValue[code[i]]
		switch {
		case v == -1:
			continue
		case v < 0 || n == recoveryLength:
			return out, false
		}
		out[n] = recoveryAlphabet[v]
		n++
	}
	return out, n == recoveryLength
}

// IsRecoveryCode reports whether code has the form of a recovery code, as
// [HashRecoveryCode] reads it, so that a form with one field can tell a
// recovery code from an authenticator's: it checks the form only, not
// whether the code is anyone's.
func IsRecoveryCode(code string) bool {
	_, ok := normalizeRecoveryCode(code)
	return ok
}

// HashRecoveryCode returns the form of account's recovery code to store:
// SHA-256 over the account and the code as [GenerateRecoveryCodes] wrote
// it, whatever case, spaces or hyphens the user typed. Binding the account
// in means a guess at a stolen table tests one account, not all of them;
// so hash with the same stable account key that the Guard uses. A code
// that cannot be one fails with [otp.ErrInvalidCode] and hashes nothing.
func HashRecoveryCode(account, code string) (string, error) {
	norm, ok := normalizeRecoveryCode(code)
	if !ok {
		return "", otp.ErrInvalidCode
	}
	// The code's fixed length keeps account‖code unambiguous.
	h := sha256.New()
	h.Write([]byte("otp recovery code v1\x00"))
	h.Write([]byte(account))
	h.Write(norm[:])
	return "rc1:" + hex.EncodeToString(h.Sum(nil)), nil
}

// RecoveryStore keeps each account's set of recovery code hashes.
// [MemoryStore], [SQLStore] and the Redis store of
// [github.com/otpkit/otp/guard/redisstore] implement it.
type RecoveryStore interface {
	// SetRecoveryHashes replaces the account's whole set (an empty set
	// removes it).
	SetRecoveryHashes(ctx context.Context, account string, hashes []string) error
	// ConsumeRecoveryHash removes hash from the account's set and reports
	// whether it was there: atomically, so that of any number of
	// concurrent calls with one hash, from any number of processes, one
	// reports true. It compares in constant time over the set.
	ConsumeRecoveryHash(ctx context.Context, account, hash string) (bool, error)
	// CountRecoveryHashes returns how many unused codes the account has.
	CountRecoveryHashes(ctx context.Context, account string) (int, error)
}

// MatchRecoveryHash returns the index of want in hashes, or -1, comparing
// with every element in constant time: what a [RecoveryStore] that reads
// an account's set does before it deletes the match, so that the time
// taken tells nothing about which hash, or whether any, matched.
func MatchRecoveryHash(hashes []string, want string) int {
	found, at := 0, 0
	for i, h := range hashes {
		eq := subtle.ConstantTimeCompare([]byte(h), []byte(want))
		at = subtle.ConstantTimeSelect(eq, i, at)
		found |= eq
	}
	if found == 0 {
		return -1
	}
	return at
}

// recoveryStore returns the Guard's store as a RecoveryStore.
func (g *Guard) recoveryStore(account string) (RecoveryStore, Policy, error) {
	p, err := g.setup(account)
	if err != nil {
		return nil, p, err
	}
	rs, ok := g.Store.(RecoveryStore)
	if !ok {
		return nil, p, &ConfigError{Field: "Guard.Store", Reason: "does not keep recovery codes (no RecoveryStore)"}
	}
	return rs, p, nil
}

// SetRecoveryCodes stores the hashes of codes as account's recovery codes,
// replacing any earlier set. Nothing is stored if a code is malformed.
func (g *Guard) SetRecoveryCodes(ctx context.Context, account string, codes []string) error {
	rs, _, err := g.recoveryStore(account)
	if err != nil {
		return err
	}
	if len(codes) > MaxRecoveryCodes {
		return &ConfigError{Field: "codes", Reason: "more than " + strconv.Itoa(MaxRecoveryCodes)}
	}
	hashes := make([]string, len(codes))
	for i, code := range codes {
		if hashes[i], err = HashRecoveryCode(account, code); err != nil {
			return err
		}
	}
	if err := rs.SetRecoveryHashes(ctx, account, hashes); err != nil {
		return &StoreError{Op: "set recovery", Err: err}
	}
	return nil
}

// RecoveryCodesLeft returns how many of account's recovery codes are
// unused, for the user's security page.
func (g *Guard) RecoveryCodesLeft(ctx context.Context, account string) (int, error) {
	rs, _, err := g.recoveryStore(account)
	if err != nil {
		return 0, err
	}
	n, err := rs.CountRecoveryHashes(ctx, account)
	if err != nil {
		return 0, &StoreError{Op: "count recovery", Err: err}
	}
	return n, nil
}

// UseRecoveryCode accepts one of account's recovery codes, once. It goes
// through the same throttling as [Guard.VerifyTOTP]: refused unchecked
// while the account waits or is locked, and a wrong or malformed code is a
// failure in the same count, so the lock after [Policy.LockAfter] covers
// codes and recovery codes together.
//
// Consuming a code cannot be undone, so an attempt is counted before it is
// checked: the failure is committed first, and only then is the code looked
// up; a match then clears the count again (unless another attempt changed
// the state in between, which leaves it as it is: on the side of caution).
// So no guess is ever checked without being counted, however many are made
// at once. A store error after the count leaves the attempt counted as a
// failure; one while consuming is [ErrOutcomeUnknown], since the code may
// be spent.
func (g *Guard) UseRecoveryCode(ctx context.Context, account, code string) error {
	rs, p, err := g.recoveryStore(account)
	if err != nil {
		return err
	}
	hash, malformed := HashRecoveryCode(account, code)
	if la := attemptOf(ctx, account); la != nil && la.take(g.now()) {
		return g.lastRecoveryFactor(ctx, rs, la, hash, malformed)
	}
	for try := range maxTries {
		a, err := g.admit(ctx, p, account, false)
		if err != nil {
			return err
		}
		counted := p.failed(a.throttle, a.now)
		ok, err := g.update(ctx, a.bucket, a.throttle, &counted, try)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if malformed != nil {
			return p.failure(otp.ErrInvalidCode, counted, a.now)
		}
		used, err := rs.ConsumeRecoveryHash(ctx, account, hash)
		if err != nil {
			// The delete may have landed: the code spent, the user told
			// nothing. Only the failure counted before is certain.
			return &OutcomeError{Err: err}
		}
		if !used {
			return p.failure(otp.ErrInvalidCode, counted, a.now)
		}
		// The code is spent and the user is in, whatever this update says.
		cleared := unlocked(counted)
		_, _ = g.update(ctx, a.bucket, counted, &cleared, maxTries)
		return nil
	}
	return ErrConflict
}

// lastRecoveryFactor is UseRecoveryCode as the last factor of a login that
// CheckFactor counted already.
func (g *Guard) lastRecoveryFactor(ctx context.Context, rs RecoveryStore, la *loginAttempt, hash string, malformed error) error {
	if malformed != nil {
		return la.failure(otp.ErrInvalidCode)
	}
	used, err := rs.ConsumeRecoveryHash(ctx, la.key, hash)
	if err != nil {
		return &OutcomeError{Err: err}
	}
	if !used {
		return la.failure(otp.ErrInvalidCode)
	}
	g.uncount(ctx, la.bucket, la.before, la.counted, true)
	return nil
}
