package main

import (
	"context"
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
	locked           // too many wrong codes in a row: only an operator can unlock
	busy             // too many password checks at once: nothing was checked or counted
)

var verdictNames = [...]string{"ok", "denied", "replayed", "locked", "busy"}

// busyText is the answer when the password hashes in flight are at their
// bound (see hasher.admit). It depends on no account.
const busyText = "The server is busy checking other passwords. Wait a second, then try again."

// result is what a check found. reason is for the log, never for the
// client: the client is told only the verdict and the wait.
type result struct {
	verdict     verdict
	wait        time.Duration // when the next attempt will be checked; Retry-After
	reason      string
	user        user
	knownDevice bool
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

// secondFactor checks what a login needs besides the password, for a
// user whose two-factor is on.
type secondFactor func(ctx context.Context, u user) (result, error)

// checkCredentials is one attempt to prove to be name: the password delay
// first, then the password, then, when two-factor is on, second (a code
// or a recovery code, through the Guard). It does the same work for a
// name without an account. The result's user is the account the name
// names, if any.
func (a *app) checkCredentials(ctx context.Context, r *http.Request, name, password string, second secondFactor) (result, error) {
	client := a.clientAddr(r)
	if !a.hasher.admit(client) {
		return result{verdict: busy, wait: time.Second, reason: "too many password checks at once"}, nil
	}
	defer a.hasher.release(client)
	name = lookupName(name)
	u, err := a.account(ctx, name)
	if err != nil {
		return result{}, err
	}
	bucket, err := a.deviceBucket(ctx, r, u.name)
	if err != nil {
		return result{}, err
	}
	key := throttleKey("login", name, bucket)
	at, err := a.countAttempt(ctx, key)
	if err != nil {
		return result{}, err
	}
	if at.refused > 0 {
		return result{verdict: denied, wait: at.refused, reason: "password delay", user: u}, nil
	}
	ok, err := a.hasher.verify(ctx, password, u.passwordHash) // "" when not found: the same work
	if err != nil {
		return result{}, err
	}
	switch {
	case u.name == "":
		return result{verdict: denied, wait: at.wait, reason: "unknown user"}, nil
	case !ok:
		return result{verdict: denied, wait: at.wait, reason: "wrong password", user: u}, nil
	}
	if u.factorID != "" {
		res, err := second(ctx, u)
		if err != nil || res.verdict != granted {
			res.wait, res.user = max(res.wait, at.wait), u
			return res, err
		}
	}
	return result{verdict: granted, user: u, knownDevice: bucket != ""}, a.clearAttempts(ctx, key)
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
	return func(ctx context.Context, u user) (result, error) {
		secret, err := a.sealer.open(u.secret, u.keyID, secretAD(u.name, u.factorID))
		if err != nil {
			return result{}, err
		}
		return a.verifyCode(ctx, u.factorID, secret, code)
	}
}

// withRecoveryCode is the second factor when the phone is lost: one of
// the recovery codes shown at enrolment, each accepted once.
func (a *app) withRecoveryCode(code string) secondFactor {
	return func(ctx context.Context, u user) (result, error) {
		err := a.guard.UseRecoveryCode(ctx, guardAccount(u.factorID), code)
		if errors.Is(err, otp.ErrInvalidCode) {
			return wrongCode(err, "wrong recovery code"), nil
		}
		return a.guardResult(err, nil)
	}
}

// deviceBucket returns the hash of the browser's device token if it was
// given to name at an earlier login, or "". name "" is no account.
func (a *app) deviceBucket(ctx context.Context, r *http.Request, name string) (string, error) {
	c, err := r.Cookie(a.cookieName("device"))
	if err != nil || name == "" {
		return "", nil
	}
	hash := tokenHash(c.Value)
	known, err := a.db.deviceKnown(ctx, hash, name, a.now().Add(-deviceMaxAge))
	if err != nil || !known {
		return "", err
	}
	return hash, nil
}

// guardAccount is the Guard's name for a factor. The state belongs to the
// secret, not to the person: a new secret starts with a state of its own,
// whose last step is already that of the code that confirmed it.
func guardAccount(factorID string) string { return "totp:" + factorID }

// totpFor is the verifier for a secret: the defaults every app uses, and
// one step of skew each way for a phone's clock (RFC 6238 §5.2).
func totpFor(secret []byte) otp.TOTP { return otp.TOTP{Secret: secret, Skew: 1} }

// verifyCode checks a code against a factor's secret through the Guard,
// which accepts each code once, across every server, and throttles
// failures.
func (a *app) verifyCode(ctx context.Context, factorID string, secret []byte, code string) (result, error) {
	t := totpFor(secret)
	err := a.guard.VerifyTOTP(ctx, guardAccount(factorID), t, code)
	if errors.Is(err, otp.ErrInvalidCode) {
		return wrongCode(err, "wrong code"), nil
	}
	return a.guardResult(err, &t)
}

// guardResult turns what the Guard said, other than a wrong code, into a
// result; t tells how long a replayed code's step has left.
func (a *app) guardResult(err error, t *otp.TOTP) (result, error) {
	te, throttled := errors.AsType[*guard.ThrottleError](err)
	switch {
	case err == nil:
		return result{verdict: granted}, nil
	case errors.Is(err, otp.ErrReplayed) && t != nil:
		left, rerr := t.Remaining(a.now())
		return result{verdict: replayed, wait: left, reason: "replayed code"}, rerr
	case errors.Is(err, guard.ErrLocked):
		return result{verdict: locked, reason: "locked"}, nil
	case throttled:
		return result{verdict: denied, wait: te.RetryAfter, reason: "code throttled"}, nil
	}
	return result{}, err
}

// wrongCode is a failure the Guard has counted; the wait is the one it set,
// which the failure carries.
func wrongCode(err error, reason string) result {
	var wait time.Duration
	if fe, ok := errors.AsType[*guard.FailureError](err); ok {
		wait = fe.RetryAfter
	}
	return result{verdict: denied, wait: wait, reason: reason}
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
	v.RecoveryLeft, err = a.guard.RecoveryCodesLeft(ctx, guardAccount(u.factorID))
	return v, err
}

func (a *app) signupPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "signup", view{Title: "Sign up"})
}

// signup creates an account. A sign-up form must say when a name is
// taken, so names can be probed there: each refused sign-up from an
// address counts towards the same kind of delay as failed logins. It is
// counted before the password is hashed, in one compare-and-swap with the
// check of the wait, so that parallel sign-ups cannot all be answered
// before the first is counted; a sign-up that succeeds takes its count
// back.
func (a *app) signup(w http.ResponseWriter, r *http.Request, form url.Values) {
	ctx, name, password := r.Context(), form.Get("user"), form.Get("password")
	client := a.clientAddr(r)
	if !a.hasher.admit(client) {
		a.signupError(w, r, name, http.StatusTooManyRequests, time.Second, busyText)
		return
	}
	defer a.hasher.release(client)
	key := throttleKey("signup", client, "")
	at, err := a.countAttempt(ctx, key)
	if err != nil {
		a.fail(w, r, "signup delay", err)
		return
	}
	if at.refused > 0 {
		a.signupError(w, r, name, http.StatusTooManyRequests, at.refused,
			"Too many refused sign-ups from your address. Wait "+waitText(at.refused)+", then try again.")
		return
	}
	canon, problem, err := a.createAccount(ctx, name, password)
	if err == nil && problem == "" {
		err = a.uncountAttempt(ctx, key)
	}
	if err != nil {
		a.fail(w, r, "signup", err)
		return
	}
	if problem != "" {
		a.logAuth(r, "signup", canon, result{verdict: denied, reason: problem}, nil)
		a.signupError(w, r, name, http.StatusBadRequest, 0, problem)
		return
	}
	if err := a.signIn(ctx, w, r, canon, false); err != nil {
		a.fail(w, r, "session", err)
		return
	}
	a.logAuth(r, "signup", canon, result{verdict: granted}, nil)
	http.Redirect(w, r, "/?m=welcome", http.StatusSeeOther)
}

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
		return "", "That user name cannot be used: choose one of at most 64 characters, without spaces, control or " +
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
		err = a.signIn(ctx, w, r, res.user.name, res.knownDevice)
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
// and gives the browser a device token unless it has one for name, so
// that its owner's later logins have a delay of their own.
func (a *app) signIn(ctx context.Context, w http.ResponseWriter, r *http.Request, name string, knownDevice bool) error {
	if !knownDevice {
		token, hash := newToken()
		if err := a.db.addDevice(ctx, hash, name, a.now()); err != nil {
			return err
		}
		a.setCookie(w, "device", token, int(deviceMaxAge/time.Second))
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
		return http.StatusForbidden, "Too many wrong codes in a row: sign-in with a code is locked for this account. " +
			"Ask the site's operator to unlock it."
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
