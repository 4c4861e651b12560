package guard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Trusted devices are OWASP's "device cookies": after a full login, the
// server gives the client a token ([Guard.TrustDevice]), signed with
// [Guard.DeviceKey] and bound to the account. Attempts that present a
// valid token ([WithDevice]) are throttled in a bucket of that device's
// own: failures from anywhere else never delay or lock it, and its own
// failures throttle only itself. Forged, expired, revoked and other
// accounts' tokens count as no token. [Guard.RevokeDevices] revokes every
// token of the account at once, as when the password changes.
//
// # The bound
//
// Untrusted clients share the account's bucket: between two successful
// untrusted logins (or two [Guard.Reset]s) at most [Policy.LockAfter] of
// their guesses are checked, however many clients, sessions or servers
// make them, and a trusted device's logins do not reopen that bucket. Each
// trusted device gets its own LockAfter between its own successes, and
// only its holder can use it. So an attacker without a device token gets
// at most LockAfter checked guesses in all, not per day, while the owner
// keeps logging in from a trusted device, undelayed.

// DefaultDeviceTTL is how long a trusted-device token lasts when
// [Guard.DeviceTTL] is zero.
const DefaultDeviceTTL = 30 * 24 * time.Hour

// minDeviceKey is the shortest DeviceKey taken: 256 bits.
const minDeviceKey = 32

// deviceCtxKey is the context key of a client's device token.
type deviceCtxKey struct{}

// WithDevice returns ctx carrying the device token the client presented
// (from a cookie), for the Guard's attempts made with it. An empty or
// invalid token is as good as none.
func WithDevice(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, deviceCtxKey{}, token)
}

// presentsDevice reports whether ctx carries a device token at all.
func presentsDevice(ctx context.Context) bool {
	token, _ := ctx.Value(deviceCtxKey{}).(string)
	return token != ""
}

// token layout, before base64url: version, device id, generation, expiry
// (Unix seconds), MAC.
const (
	tokenVersion = 1
	deviceIDLen  = 16
	tokenMACLen  = 32
	tokenBodyLen = 1 + deviceIDLen + 8 + 8
)

// TrustDevice returns a new token for a client that just logged in fully
// as account, valid for DeviceTTL and until [Guard.RevokeDevices]. Give it
// to the client (a Secure, HttpOnly cookie), and pass it back with
// [WithDevice] on its later attempts.
func (g *Guard) TrustDevice(ctx context.Context, account string) (string, error) {
	if _, err := g.setup(account); err != nil {
		return "", err
	}
	if err := g.checkDeviceKey(); err != nil {
		return "", err
	}
	s, err := g.load(ctx, account, false)
	if err != nil {
		return "", err
	}
	body := make([]byte, tokenBodyLen, tokenBodyLen+tokenMACLen)
	body[0] = tokenVersion
	rand.Read(body[1 : 1+deviceIDLen])
	binary.BigEndian.PutUint64(body[1+deviceIDLen:], s.Devices)
	ttl := g.DeviceTTL
	if ttl <= 0 {
		ttl = DefaultDeviceTTL
	}
	binary.BigEndian.PutUint64(body[1+deviceIDLen+8:], uint64(g.now().Add(ttl).Unix()))
	return base64.RawURLEncoding.EncodeToString(append(body, g.deviceMAC(account, body)...)), nil
}

// Trusted reports whether ctx carries a valid trusted-device token of
// account (see [WithDevice]): one this Guard's key signed for it, not
// expired, not revoked. Attempts need not ask, they throttle by it on
// their own; an application asks to decide what a client may be told,
// such as that a code was used already, which to anyone else would
// confirm the password.
func (g *Guard) Trusted(ctx context.Context, account string) (bool, error) {
	if _, err := g.setup(account); err != nil || !presentsDevice(ctx) {
		return false, err
	}
	s, err := g.load(ctx, account, false)
	if err != nil {
		return false, err
	}
	_, ok := g.deviceOf(ctx, account, s.Devices, g.now())
	return ok, nil
}

// RevokeDevices revokes every trusted-device token of account: its clients
// are untrusted from now on, until they log in fully again.
func (g *Guard) RevokeDevices(ctx context.Context, account string) error {
	return g.change(ctx, account, func(s State) State {
		s.Devices++
		return s
	})
}

func (g *Guard) checkDeviceKey() error {
	if len(g.DeviceKey) < minDeviceKey {
		return &ConfigError{Field: "Guard.DeviceKey", Reason: "shorter than 32 bytes"}
	}
	return nil
}

// deviceMAC binds a token's body to the account.
func (g *Guard) deviceMAC(account string, body []byte) []byte {
	m := hmac.New(sha256.New, g.DeviceKey)
	m.Write([]byte("otp/guard device token v1\x00"))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(account))))
	m.Write([]byte(account))
	m.Write(body)
	return m.Sum(nil)
}

// deviceOf returns the id of the device whose valid token ctx carries for
// account at generation, if there is one.
func (g *Guard) deviceOf(ctx context.Context, account string, generation uint64, now time.Time) (string, bool) {
	token, _ := ctx.Value(deviceCtxKey{}).(string)
	if token == "" || g.checkDeviceKey() != nil || len(token) > 2*(tokenBodyLen+tokenMACLen) {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != tokenBodyLen+tokenMACLen || raw[0] != tokenVersion {
		return "", false
	}
	body, mac := raw[:tokenBodyLen], raw[tokenBodyLen:]
	if !hmac.Equal(mac, g.deviceMAC(account, body)) {
		return "", false
	}
	gen := binary.BigEndian.Uint64(body[1+deviceIDLen:])
	expiry := int64(binary.BigEndian.Uint64(body[1+deviceIDLen+8:]))
	if gen != generation || now.Unix() >= expiry {
		return "", false
	}
	return hex.EncodeToString(body[1 : 1+deviceIDLen]), true
}

// deviceBucket is the store key of a device's throttle: of one length
// whatever the account's (a store may cap its keys, as MySQL's does at 512
// bytes), and starting with a control character, which no account holds.
func deviceBucket(account, id string) string {
	sum := sha256.Sum256([]byte("otp/guard device bucket\x00" + account))
	return "\x1fdevice\x1f" + hex.EncodeToString(sum[:]) + "\x1f" + id
}
