// Package redisstore keeps the state of a [guard.Guard] (RFC 6238 §5.2's
// used codes and the failure counts of NIST SP 800-63B §5.2.2) in Redis or
// Valkey, through github.com/redis/go-redis/v9, so that every server of a
// service shares it.
//
// Each change is one server-side script, atomic on the server: a
// compare-and-swap of the whole [guard.State], a replacement of the
// recovery code hashes, the removal of one hash. Every key of an account
// carries the account in one hash tag, so that the scripts run on Redis
// Cluster too, and an account's keys live on one shard.
//
//	store, err := redisstore.New(redis.NewClient(&redis.Options{Addr: addr}), "otp:")
//	g := &guard.Guard{Store: store}
//
// # Durability
//
// No key expires: a state is about 60 bytes and lives as long as the
// account. An expiry would have to outlast every window and every delay
// the Policy sets, and a lock has none; and a state that expired would
// reopen the codes of its window and forget the failures.
//
// What a crash of the server loses is what the server had not written to
// disk. Run Redis with
//
//	appendonly yes
//	appendfsync always
//
// and it replies to a write only after the write is in its append-only
// file: a restart loses nothing the Guard was told was stored. With
// appendfsync everysec (the default once appendonly is on) a crash loses up
// to the last second of writes; with only RDB snapshots (appendonly no, the
// default) everything since the last snapshot, minutes of it. What is lost
// is then lost silently: the codes accepted in that time are accepted once
// more while they are still in their window (a TOTP code for about a
// minute), and the failures counted in it are forgotten, so an attacker
// who can crash the server gets more guesses. A replica promoted by
// Sentinel or Cluster failover lacks the writes it had not received yet:
// the same loss, unless the writes are made with WAIT; the store does not
// wait.
//
// # Keys
//
// For an account A and the prefix P given to [New], the state is the
// string P{B}s and the recovery hashes the set P{B}r, where B is A in
// unpadded base64url, so that accounts are compared byte for byte and no
// brace in A can move the hash tag. Two more keys let a script that
// go-redis retried after a lost reply learn that its first run landed: the
// list P{B}w holds the account's recent write tags (and expires 10 minutes
// after the last write: it only serves retries), and the hash P{B}u which
// call consumed each used recovery hash.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/redis/go-redis/v9"
)

// Store is a [guard.Store] and [guard.RecoveryStore] in Redis or Valkey.
// It is safe for concurrent use, as its client is.
type Store struct {
	client redis.UniversalClient
	prefix string
}

// New returns a store whose keys all begin with prefix, which must not
// contain '{' or '}' (they would make the prefix the hash tag). Give each
// application its own prefix, such as "otp:".
func New(client redis.UniversalClient, prefix string) (*Store, error) {
	if client == nil {
		return nil, &guard.ConfigError{Field: "client", Reason: "nil"}
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, &guard.ConfigError{Field: "prefix", Reason: "contains a brace, which would make it the hash tag"}
	}
	return &Store{client: client, prefix: prefix}, nil
}

// keys are one account's keys, in one hash slot.
type keys struct{ state, writes, recovery, used string }

func (s *Store) keys(account string) (keys, error) {
	if account == "" {
		return keys{}, &guard.ConfigError{Field: "account", Reason: "empty"}
	}
	tag := s.prefix + "{" + base64.RawURLEncoding.EncodeToString([]byte(account)) + "}"
	return keys{state: tag + "s", writes: tag + "w", recovery: tag + "r", used: tag + "u"}, nil
}

// encode writes a State as six decimal numbers: the scripts compare states
// as strings, and one State has one encoding. The zero State is stored as
// no key.
func encode(st guard.State) string {
	var ms int64
	if !st.NotBefore.IsZero() {
		ms = st.NotBefore.UnixMilli()
	}
	b := make([]byte, 0, 80)
	b = strconv.AppendUint(b, st.Next, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, st.Drift, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(st.Failures), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, st.Devices, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, st.Write, 10)
	return string(b)
}

var zero = encode(guard.State{})

// errCorrupt is a stored value that no Store wrote.
var errCorrupt = errors.New("redisstore: stored state is malformed")

func decode(v string) (guard.State, error) {
	f := strings.Split(v, " ")
	if len(f) != 6 {
		return guard.State{}, errCorrupt
	}
	var st guard.State
	var errs [6]error
	var failures, ms int64
	st.Next, errs[0] = strconv.ParseUint(f[0], 10, 64)
	st.Drift, errs[1] = strconv.ParseInt(f[1], 10, 64)
	failures, errs[2] = strconv.ParseInt(f[2], 10, 0)
	ms, errs[3] = strconv.ParseInt(f[3], 10, 64)
	st.Devices, errs[4] = strconv.ParseUint(f[4], 10, 64)
	st.Write, errs[5] = strconv.ParseUint(f[5], 10, 64)
	st.Failures = int(failures)
	if ms != 0 {
		st.NotBefore = time.UnixMilli(ms)
	}
	if errors.Join(errs[:]...) != nil || encode(st) != v {
		return guard.State{}, errCorrupt
	}
	return st, nil
}

// Load returns the account's state, the zero State if it has none.
func (s *Store) Load(ctx context.Context, account string) (guard.State, error) {
	k, err := s.keys(account)
	if err != nil {
		return guard.State{}, err
	}
	v, err := s.client.Get(ctx, k.state).Result()
	if errors.Is(err, redis.Nil) {
		return guard.State{}, nil
	}
	if err != nil {
		return guard.State{}, fmt.Errorf("redisstore: load: %w", err)
	}
	return decode(v)
}

// updateScript sets KEYS[1] to ARGV[2] (or deletes it, for the zero State
// ARGV[3]) if it holds ARGV[1], and notes the write's tag ARGV[4], if any,
// in the list KEYS[2]. A call that finds its own tag noted is go-redis
// sending the script again after losing the reply of a run that landed,
// and its answer is the one that run gave.
var updateScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1]) or ARGV[3]
if cur ~= ARGV[1] then
	if ARGV[4] ~= '' and redis.call('LPOS', KEYS[2], ARGV[4]) then return 1 end
	return 0
end
if ARGV[2] == ARGV[3] then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
if ARGV[4] ~= '' then
	redis.call('LPUSH', KEYS[2], ARGV[4])
	redis.call('LTRIM', KEYS[2], 0, ` + strconv.Itoa(recentWrites-1) + `)
	redis.call('PEXPIRE', KEYS[2], ` + strconv.FormatInt(recentFor.Milliseconds(), 10) + `)
end
return 1
`)

// An account's recent write tags are kept so that a retried script knows
// its own write: the last 64, for 10 minutes after the account's last
// write. go-redis retries within seconds (MaxRetries times, backing off
// up to MaxRetryBackoff); forgetting a tag later only loses that
// knowledge, never a state.
const (
	recentWrites = 64
	recentFor    = 10 * time.Minute
)

// Update writes new if the account's state still equals old, in one
// script. When go-redis runs the script again after a lost reply, a write
// that landed reports true (found by its [guard.State.Write] tag, which a
// Guard makes random for every write), however the state changed since.
func (s *Store) Update(ctx context.Context, account string, old, new guard.State) (bool, error) {
	k, err := s.keys(account)
	if err != nil {
		return false, err
	}
	tag := ""
	if new.Write != 0 && new.Write != old.Write {
		tag = strconv.FormatUint(new.Write, 10)
	}
	n, err := updateScript.Run(ctx, s.client, []string{k.state, k.writes}, encode(old), encode(new), zero, tag).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: update: %w", err)
	}
	return n == 1, nil
}

// setScript replaces the set KEYS[1] with ARGV and forgets the used
// hashes of the old set (KEYS[2]).
var setScript = redis.NewScript(`
redis.call('DEL', KEYS[1], KEYS[2])
for i = 1, #ARGV, 500 do
	redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
return #ARGV
`)

// SetRecoveryHashes replaces the account's recovery code hashes, in one
// script: two replacements at once leave one set or the other, never both.
func (s *Store) SetRecoveryHashes(ctx context.Context, account string, hashes []string) error {
	k, err := s.keys(account)
	if err != nil {
		return err
	}
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	if err := setScript.Run(ctx, s.client, []string{k.recovery, k.used}, args...).Err(); err != nil {
		return fmt.Errorf("redisstore: set recovery hashes: %w", err)
	}
	return nil
}

// consumeScript removes ARGV[1] from the set KEYS[1] and notes in the hash
// KEYS[2] that call ARGV[2] did; a call that finds the hash gone and
// noted as its own is a retry of a removal that landed.
var consumeScript = redis.NewScript(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then
	redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
	return 1
end
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then return 1 end
return 0
`)

// ConsumeRecoveryHash reads the account's set, matches hash against all of
// it in constant time, and removes the match in a script: of many calls
// that matched, one removes it and the others find it gone.
func (s *Store) ConsumeRecoveryHash(ctx context.Context, account, hash string) (bool, error) {
	k, err := s.keys(account)
	if err != nil {
		return false, err
	}
	set, err := s.client.SMembers(ctx, k.recovery).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: consume recovery hash: %w", err)
	}
	i := guard.MatchRecoveryHash(set, hash)
	if i < 0 {
		return false, nil
	}
	n, err := consumeScript.Run(ctx, s.client, []string{k.recovery, k.used}, set[i], rand.Text()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: consume recovery hash: %w", err)
	}
	return n == 1, nil
}

// CountRecoveryHashes returns the size of the account's set.
func (s *Store) CountRecoveryHashes(ctx context.Context, account string) (int, error) {
	k, err := s.keys(account)
	if err != nil {
		return 0, err
	}
	n, err := s.client.SCard(ctx, k.recovery).Result()
	if err != nil {
		return 0, fmt.Errorf("redisstore: count recovery hashes: %w", err)
	}
	return int(n), nil
}
