package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/examples/internal/cli"
	"github.com/otpkit/otp/guard"
)

// verdict is the outcome of a check of credentials.
type verdict int

const (
	granted  verdict = iota
	denied           // a wrong name, password or code, or a wait: the same answer for each
	replayed         // the right code, used already: the user should wait for the next
	locked           // too many failures in a row: only an operator unlocks, and trusted devices still get in
	busy             // too many password checks at once: nothing was checked or counted
)

var verdictNames = [...]string{"ok", "denied", "replayed", "locked", "busy"}

// busyText is the answer when the password hashes in flight are at their
// bound (see hasher.admit). It depends on no account.
const busyText = "The server is busy checking other passwords. Wait a second, then try again."

// result is what a check found. reason is for the log, never for the
// client: the client is told only the verdict and the wait.
type result struct {
	verdict verdict
	wait    time.Duration // when the next attempt will be checked; Retry-After
	reason  string
	user    user
}

// checkUserName reports whether name is a user name in its canonical form
// (see canonicalName) that a key URI can carry (checked by building one).
// It runs at sign-up, and at login to keep names that no account can have
// away from the database.
func (a *app) checkUserName(name string) error {
	canon, err := canonicalName(name)
	if err != nil {
		return err
	}
	if canon != name {
		return errors.New("not in its canonical form")
	}
	_, err = otp.GenerateKey(a.issuer, name)
	return err
}

// lookupName is the name that a login for typed is about: its canonical
// form, or typed itself when it has none (no account has such a name, and
// its attempts are throttled by what was typed).
func lookupName(typed string) string {
	if canon, err := canonicalName(typed); err == nil {
		return canon
	}
	return typed
}

// The login gate: one Guard state per user name, under loginKey, holds
// everything a login is throttled by, and the factor's used steps.
//
//   - The password is checked with Guard.CheckFactor under that key (with
//     Guard.Check when it is the whole login: no second factor), the code
//     with Guard.VerifyTOTP and a recovery code with Guard.UseRecoveryCode
//     under the same key. So while the state waits or is locked, the gate
//     refuses before the password is hashed, and a right password gets
//     the answer a wrong one does; a wrong password and a wrong code are
//     each one failure in the same count; only the last factor's success
//     clears it.
//   - A name without an account goes through the same gate under a key
//     of its own (unknownNameKey), with a check that hashes (as a real
//     one does) and says no, so its answers, waits and lock are those of
//     a wrong password.
//   - The state's Next (the steps used) belongs to the active secret:
//     confirming a new one carries the confirming code's step over with
//     Guard.Enroll, which starts the drift afresh (a new phone), and
//     clears the failures, as the full login that had to come first did.
//     A pending secret is checked under a key of its own (enrolmentKey),
//     which throttles guesses at its confirmation.
//   - Trusted devices: a full login gives the browser a Guard.TrustDevice
//     token (the device cookie); presented with Guard.WithDevice, its
//     attempts are throttled in that device's own bucket, so a stranger
//     who locks the name out does not lock out its owner's browsers.
//
// One key per user, not one per secret, is what makes the gate whole: a
// per-secret key would need a second count for the password, and two
// counts can disagree.
//
// name is an account's, in its canonical form.
func (a *app) loginKey(name string) string { return "login:" + name }

// unknownNameKey is the login key of a name that no account has: often
// a password typed into the name field, or bytes an attacker chose. So
// it is kept as a MAC under a key derived from the sealing key, which a
// copy of the database does not reveal, and which is a valid Guard key
// whatever was typed.
func (a *app) unknownNameKey(typed string) string {
	m := hmac.New(sha256.New, a.nameKey)
	m.Write([]byte(typed))
	return "login-unknown:" + hex.EncodeToString(m.Sum(nil))
}

// enrolmentKey is the Guard's key for a pending secret, whose codes are
// checked before it is the user's factor.
func enrolmentKey(factorID string) string { return "enrol:" + factorID }

// secondFactor checks what a login needs besides the password, for a
// user whose two-factor is on, under the user's login key, and returns
// what the Guard said.
type secondFactor func(ctx context.Context, u user, key string) factorCheck

// factorCheck is what a second factor's check returned: the Guard's
// error, what a failure is called in the log, and the TOTP of a code,
// which tells a replayed code how long its step has left.
type factorCheck struct {
	err    error
	failed string
	totp   *otp.TOTP
}

// checkCredentials is one attempt to prove to be name, through the login
// gate (see loginKey): the password first, then, when two-factor is on,
// second. It does the same work for a name without an account. The
// result's user is the account the name names, if any.
func (a *app) checkCredentials(ctx context.Context, r *http.Request, name, password string, second secondFactor) (result, error) {
	client := a.clientAddr(r)
	name = lookupName(name)
	u, err := a.account(ctx, name)
	if err != nil {
		return result{}, err
	}
	ctx, trusted, err := a.device(ctx, r, u.name)
	if err != nil {
		return result{}, err
	}
	if !a.hasher.admit(client, trusted) {
		return result{verdict: busy, wait: time.Second, reason: "too many password checks at once"}, nil
	}
	defer a.hasher.release(client, trusted)
	if trusted {
		ctx = context.WithValue(ctx, trustedHashing{}, true)
	}
	key := a.loginKey(u.name)
	if u.name == "" {
		key = a.unknownNameKey(name)
	}
	passwordRight := func(ctx context.Context) (bool, error) {
		ok, err := a.hasher.verify(ctx, password, u.passwordHash) // "" when not found: the same work
		return ok && u.name != "", err
	}
	check := factorCheck{failed: "wrong password"}
	switch {
	case u.name == "":
		check.failed = "unknown user"
		check.err = a.guard.Check(ctx, key, passwordRight)
	case u.factorID == "": // the password is the whole login
		check.err = a.guard.Check(ctx, key, passwordRight)
	default:
		// One attempt for the whole login: the context carries the
		// password's count to the second factor, so a right password and
		// a wrong code is one failure at one time, as a wrong password is.
		var lctx context.Context
		lctx, check.err = a.guard.CheckFactor(ctx, key, passwordRight)
		if check.err == nil {
			check = second(lctx, u, key)
		}
	}
	res, err := a.gateResult(check, trusted)
	res.user = u
	return res, err
}

// gateResult turns what the gate said into a result. A replayed code is
// told as such only to a trusted device: to anyone else it would say that
// the password before it was right, so it is answered as a wrong code.
func (a *app) gateResult(c factorCheck, trusted bool) (result, error) {
	te, throttled := errors.AsType[*guard.ThrottleError](c.err)
	fe, failed := errors.AsType[*guard.FailureError](c.err)
	switch {
	case c.err == nil:
		return result{verdict: granted}, nil
	case errors.Is(c.err, guard.ErrLocked): // refused unchecked, or the failure that locked it
		return result{verdict: locked, reason: "locked"}, nil
	case throttled:
		return result{verdict: denied, wait: te.RetryAfter, reason: "throttled, not checked"}, nil
	case failed && errors.Is(c.err, otp.ErrReplayed):
		if trusted && c.totp != nil {
			left, err := c.totp.Remaining(a.now())
			return result{verdict: replayed, wait: left, reason: "replayed code"}, err
		}
		return result{verdict: denied, wait: fe.RetryAfter, reason: "replayed code"}, nil
	case failed:
		return result{verdict: denied, wait: fe.RetryAfter, reason: c.failed}, nil
	}
	return result{}, c.err // the server's: a store or configuration error
}

// account returns the user that name names, or the zero user if none
// does; a name that no account can have is not looked up.
func (a *app) account(ctx context.Context, name string) (user, error) {
	if a.checkUserName(name) != nil {
		return user{}, nil
	}
	u, err := a.db.user(ctx, name)
	if errors.Is(err, errNotFound) {
		return user{}, nil
	}
	return u, err
}

// withCode is the second factor of a normal login: a code from the app.
func (a *app) withCode(code string) secondFactor {
	return func(ctx context.Context, u user, key string) factorCheck {
		secret, err := a.sealer.open(u.secret, u.keyID, secretAD(u.name, u.factorID))
		if err != nil {
			return factorCheck{err: err}
		}
		t := totpFor(secret)
		return factorCheck{err: a.guard.VerifyTOTP(ctx, key, t, code), failed: "wrong code", totp: &t}
	}
}

// withRecoveryCode is the second factor when the phone is lost: one of
// the recovery codes shown at enrolment, each accepted once.
func (a *app) withRecoveryCode(code string) secondFactor {
	return func(ctx context.Context, u user, key string) factorCheck {
		return factorCheck{err: a.guard.UseRecoveryCode(ctx, key, code), failed: "wrong recovery code"}
	}
}

// device returns ctx carrying the browser's device token for the Guard,
// which throttles a valid one in a bucket of its own, and whether the
// Guard trusts it for name (given at a full login, not revoked since):
// only that decides what the client may be told, never the throttling.
// name "" is no account.
func (a *app) device(ctx context.Context, r *http.Request, name string) (context.Context, bool, error) {
	c, err := r.Cookie(a.cookieName("device"))
	if err != nil {
		return ctx, false, nil
	}
	ctx = guard.WithDevice(ctx, c.Value)
	if name == "" {
		return ctx, false, nil
	}
	trusted, err := a.guard.Trusted(ctx, a.loginKey(name))
	return ctx, trusted, err
}

// trustDevice gives the browser a new device token for name after a full
// login: the Guard signs it; nothing is stored.
func (a *app) trustDevice(ctx context.Context, w http.ResponseWriter, name string) error {
	token, err := a.guard.TrustDevice(ctx, a.loginKey(name))
	if err != nil {
		return err
	}
	a.setDeviceCookie(w, token)
	return nil
}

// revokeDevices untrusts every browser of name, as a change of the second
// factor must: a token given before the change throttles nothing apart.
func (a *app) revokeDevices(ctx context.Context, name string) error {
	return a.guard.RevokeDevices(ctx, a.loginKey(name))
}

// totpFor is the verifier for a secret: the defaults every app uses, and
// one step of skew each way for a phone's clock (RFC 6238 §5.2).
func totpFor(secret []byte) otp.TOTP { return otp.TOTP{Secret: secret, Skew: 1} }

// verifyEnrolmentCode checks a code of a pending secret, under the
// secret's own key: the session holder has passed the login gate to
// start it, and guesses at it are throttled there.
func (a *app) verifyEnrolmentCode(ctx context.Context, factorID string, secret []byte, code string) (result, error) {
	t := totpFor(secret)
	err := a.guard.VerifyTOTP(ctx, enrolmentKey(factorID), t, code)
	return a.gateResult(factorCheck{err: err, failed: "wrong code", totp: &t}, true)
}

// codeDigits is the length of every code here: the default, which every
// authenticator app shows.
const codeDigits = 6

// readCode returns the code in the form as the digits that Verify takes,
// as people type and paste it ("123 456", full-width digits), or a hint
// when it cannot be a code. The hint depends on nothing but the text, so
// it tells nothing about the account, and such an answer costs no try.
// An empty field is no code and no hint unless required.
func readCode(form url.Values, required bool) (code, hint string) {
	typed := form.Get("code")
	if !required && strings.TrimSpace(typed) == "" {
		return "", ""
	}
	code, err := cli.NormalizeCode(typed, codeDigits)
	if err != nil {
		return "", "Check the code: " + err.Error() + "."
	}
	return code, ""
}

// padUntil waits until deadline, so that every answer to a login takes
// the same time whichever check failed, and whether the name exists.
func padUntil(ctx context.Context, deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// logAuth writes one line per authentication event, with its outcome and
// reason, and never a password, code or secret. name is the account the
// event is about; a login logs res.user's, and "" for a name that no
// account has, which is often a password typed into the wrong field, or
// bytes an attacker chose.
func (a *app) logAuth(r *http.Request, event, name string, res result, err error) {
	outcome := verdictNames[res.verdict]
	if err != nil {
		outcome = "error"
	}
	if name == "" || a.checkUserName(name) != nil {
		name = "(no such account)"
	}
	attrs := []slog.Attr{slog.String("event", event), slog.String("outcome", outcome), slog.String("user", name),
		slog.String("addr", a.clientAddr(r))}
	if res.reason != "" {
		attrs = append(attrs, slog.String("reason", res.reason))
	}
	if err != nil {
		attrs = append(attrs, slog.Any("err", err))
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "auth", attrs...)
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	notice := notices[r.URL.Query().Get("m")]
	ses, err := a.currentSession(r)
	if errors.Is(err, errNotFound) {
		a.render(w, r, http.StatusOK, "login", view{Title: "Sign in", Notice: notice})
		return
	}
	if err != nil {
		a.fail(w, r, "session", err)
		return
	}
	v, err := a.accountView(r.Context(), ses)
	if err != nil {
		a.fail(w, r, "account", err)
		return
	}
	v.Notice = notice
	a.render(w, r, http.StatusOK, "account", v)
}

func (a *app) accountView(ctx context.Context, ses session) (view, error) {
	u, err := a.db.user(ctx, ses.user)
	if err != nil {
		return view{}, err
	}
	_, err = a.db.enrolment(ctx, ses.user, ses.tokenHash, a.now())
	if err != nil && !errors.Is(err, errNotFound) {
		return view{}, err
	}
	v := view{Title: "Your account", User: ses.user, HasFactor: u.factorID != "", Pending: err == nil}
	if !v.HasFactor {
		return v, nil
	}
	v.RecoveryLeft, err = a.guard.RecoveryCodesLeft(ctx, a.loginKey(ses.user))
	return v, err
}

func (a *app) signupPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "signup", view{Title: "Sign up"})
}

// signup creates an account. A sign-up form must say when a name is
// taken, so names can be probed there: each refused sign-up from an
// address counts in the Guard, under signupKey, towards the delays and
// the lock that failed logins get. Guard.CheckFactor counts it before
// the password is hashed, so that parallel sign-ups cannot all be
// answered before the first is counted, and a sign-up that succeeds takes
// its count back with Guard.Forgive (and only its own).
func (a *app) signup(w http.ResponseWriter, r *http.Request, form url.Values) {
	ctx, name, password := r.Context(), form.Get("user"), form.Get("password")
	client := a.clientAddr(r)
	if !a.hasher.admit(client, false) {
		a.signupError(w, r, name, http.StatusTooManyRequests, time.Second, busyText)
		return
	}
	defer a.hasher.release(client, false)
	var canon, problem string
	sctx, err := a.guard.CheckFactor(ctx, signupKey(client), func(ctx context.Context) (bool, error) {
		var err error
		canon, problem, err = a.createAccount(ctx, name, password)
		return problem == "", err
	})
	if err == nil {
		a.guard.Forgive(sctx) // an account made: only refusals count
	}
	te, throttled := errors.AsType[*guard.ThrottleError](err)
	switch {
	case errors.Is(err, guard.ErrLocked) && problem == "":
		a.signupError(w, r, name, http.StatusTooManyRequests, 0,
			"Too many refused sign-ups from your address. Ask the site's operator to let it sign up again.")
		return
	case throttled:
		a.signupError(w, r, name, http.StatusTooManyRequests, te.RetryAfter,
			"Too many refused sign-ups from your address. Wait "+waitText(te.RetryAfter)+", then try again.")
		return
	case problem != "":
		a.logAuth(r, "signup", canon, result{verdict: denied, reason: problem}, nil)
		a.signupError(w, r, name, http.StatusBadRequest, 0, problem)
		return
	case err != nil:
		a.fail(w, r, "signup", err)
		return
	}
	if err := a.signIn(ctx, w, r, canon); err != nil {
		a.fail(w, r, "session", err)
		return
	}
	a.logAuth(r, "signup", canon, result{verdict: granted}, nil)
	http.Redirect(w, r, "/?m=welcome", http.StatusSeeOther)
}

// signupKey is the Guard's key for the sign-ups from an address.
func signupKey(client string) string { return "signup:" + client }

// signupError answers a refused sign-up with the form again, and
// Retry-After when wait is set.
func (a *app) signupError(w http.ResponseWriter, r *http.Request, name string, status int, wait time.Duration, text string) {
	if wait > 0 {
		retryAfter(w, wait)
	}
	a.render(w, r, status, "signup", view{Title: "Sign up", Name: name, Error: text})
}

// createAccount returns the canonical form of name and what is wrong with
// it or the password, or "" once the account exists. The password is
// hashed before the name is tried, so that a taken name answers no faster
// than a free one.
func (a *app) createAccount(ctx context.Context, name, password string) (canon, problem string, err error) {
	canon, err = canonicalName(name)
	if err == nil {
		err = a.checkUserName(canon)
	}
	if err != nil || canon == "" {
		return "", "That user name cannot be used: choose one of at most 64 bytes (64 ASCII letters, fewer of others), without spaces, control or " +
			"invisible characters, and with the letters of one script.", nil
	}
	if len(password) < minPasswordLen || len(password) > maxPasswordLen {
		return canon, "Choose a password of at least 8 characters.", nil
	}
	hash, err := a.hasher.hash(ctx, password)
	if err != nil {
		return "", "", err
	}
	created, err := a.db.createUser(ctx, canon, hash, a.now())
	if err != nil || created {
		return canon, "", err
	}
	return canon, "That user name is taken. Choose another.", nil
}

// login signs a browser in with a password and, once two-factor is on, a
// code. Every answer that is not a success looks the same and takes the
// same time, apart from the wait it announces.
func (a *app) login(w http.ResponseWriter, r *http.Request, form url.Values) {
	deadline := time.Now().Add(a.loginFloor)
	ctx, name := r.Context(), form.Get("user")
	code, hint := readCode(form, false)
	if hint != "" {
		a.render(w, r, http.StatusBadRequest, "login", view{Title: "Sign in", Name: name, Error: hint})
		return
	}
	res, err := a.checkCredentials(ctx, r, name, form.Get("password"), a.withCode(code))
	if err == nil && res.verdict == granted {
		err = a.signIn(ctx, w, r, res.user.name)
	}
	padUntil(ctx, deadline)
	a.logAuth(r, "login", res.user.name, res, err)
	if err != nil {
		a.fail(w, r, "login", err)
		return
	}
	if res.verdict == granted {
		http.Redirect(w, r, "/?m=loggedin", http.StatusSeeOther)
		return
	}
	status, text := refusal(w, res, "Wrong user name, password or code. Check them and try again.")
	a.render(w, r, status, "login", view{Title: "Sign in", Name: name, Error: text})
}

// signIn starts a session for name after a sign-up or a granted login,
// a full login each, and gives the browser a new device token, so that
// its owner's later logins are throttled apart from everyone else's.
func (a *app) signIn(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) error {
	if err := a.trustDevice(ctx, w, name); err != nil {
		return err
	}
	return a.startSession(ctx, w, r, name)
}

// refusal is the status and text for a check that did not grant, with
// Retry-After set where a wait applies.
func refusal(w http.ResponseWriter, res result, deniedText string) (int, string) {
	if res.wait > 0 && res.verdict != locked {
		retryAfter(w, res.wait)
	}
	switch res.verdict {
	case replayed:
		return http.StatusUnauthorized, "That code was used already. Wait for the next code in your app (about " +
			waitText(res.wait) + ") and type that one."
	case locked:
		return http.StatusForbidden, "Too many failed sign-ins in a row: sign-in is locked for this account, " +
			"except from browsers it signed in with before. Ask the site's operator to unlock it."
	case busy:
		return http.StatusTooManyRequests, busyText
	}
	if res.wait > 0 {
		return http.StatusTooManyRequests, deniedText + " Wait " + waitText(res.wait) + " before you try again."
	}
	return http.StatusUnauthorized, deniedText
}

func (a *app) logout(w http.ResponseWriter, r *http.Request, _ url.Values) {
	if c, err := r.Cookie(a.cookieName("session")); err == nil {
		if err := a.db.deleteSession(r.Context(), tokenHash(c.Value)); err != nil {
			a.fail(w, r, "logout", err)
			return
		}
	}
	a.setCookie(w, "session", "", -1)
	http.Redirect(w, r, "/?m=out", http.StatusSeeOther)
}
