package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
)

// The enrolment lifecycle:
//
//	POST /enroll/start    a new secret, pending, bound to this session; needs the
//	                      password, and a current code to replace an active factor
//	GET  /enroll          shows the pending secret: the same one on every reload
//	POST /enroll/confirm  the first code from the app makes it the factor, ends
//	                      every other session and rotates this one
//	POST /factor/remove   needs the password and a current code
//
// A pending secret that is not confirmed expires after enrolmentTTL.

func (a *app) enrollPage(w http.ResponseWriter, r *http.Request) {
	ses, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	e, err := a.db.enrolment(r.Context(), ses.user, ses.tokenHash, a.now())
	if errors.Is(err, errNotFound) {
		a.message(w, r, http.StatusNotFound, "No authenticator set-up is in progress here: it was finished, "+
			"or it expired (after 15 minutes), or it was started in another browser.", "/", "Go to your account")
		return
	}
	if err != nil {
		a.fail(w, r, "enrolment", err)
		return
	}
	a.showEnrolment(w, r, ses, e, http.StatusOK, "")
}

// showEnrolment shows the pending secret as a QR code, a link for a phone
// and text, with errText above it after a failed confirmation.
func (a *app) showEnrolment(w http.ResponseWriter, r *http.Request, ses session, e enrolment, status int, errText string) {
	secret, err := a.sealer.open(e.secret, e.keyID, secretAD(ses.user, e.factorID))
	if err != nil {
		a.fail(w, r, "open secret", err)
		return
	}
	u, err := a.db.user(r.Context(), ses.user)
	if err != nil {
		a.fail(w, r, "user", err)
		return
	}
	key := &otp.Key{Type: otp.TypeTOTP, Issuer: a.issuer, Account: ses.user, Secret: secret}
	code, err := key.QR()
	if err != nil {
		a.fail(w, r, "qr", err)
		return
	}
	a.render(w, r, status, "enroll", view{
		Title: "Set up your authenticator", User: ses.user, Error: errText,
		HasFactor: u.factorID != "",          // starting over needs a code of the factor it replaces
		QR:        template.HTML(code.SVG()), // drawn here from the code's modules alone
		URI:       template.URL(key.URI()),
		Secret:    otp.FormatSecret(secret),
		Expires:   waitText(e.expires.Sub(a.now())),
	})
}

// startEnrolment makes a pending secret, or goes back to the one this
// session has (unless asked to start over). Every new secret needs the
// password, and a current code while a factor is on: see reauthenticated.
func (a *app) startEnrolment(w http.ResponseWriter, r *http.Request, form url.Values) {
	ses, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	_, err := a.db.enrolment(ctx, ses.user, ses.tokenHash, a.now())
	pending := err == nil
	if err != nil && !errors.Is(err, errNotFound) {
		a.fail(w, r, "enrolment", err)
		return
	}
	if pending && form.Get("restart") != "1" {
		http.Redirect(w, r, "/enroll", http.StatusSeeOther)
		return
	}
	// Starting over makes a new secret as starting does, so it needs the
	// same proof: otherwise a stolen session could swap the pending secret
	// for one in the thief's app and confirm that.
	if _, ok := a.reauthenticated(w, r, ses, form, "start enrolment"); !ok {
		return
	}
	factorID := make([]byte, 16)
	rand.Read(factorID)
	e := enrolment{sessionHash: ses.tokenHash, factorID: hex.EncodeToString(factorID), expires: a.now().Add(enrolmentTTL)}
	secret, err := otp.GenerateSecret(0)
	if err != nil {
		a.fail(w, r, "secret", err)
		return
	}
	e.secret, e.keyID = a.sealer.seal(secret, secretAD(ses.user, e.factorID))
	if err := a.db.putEnrolment(ctx, ses.user, e); err != nil {
		a.fail(w, r, "enrolment", err)
		return
	}
	a.logAuth(r, "enrolment started", ses.user, result{}, nil)
	http.Redirect(w, r, "/enroll", http.StatusSeeOther)
}

// confirmedByPassword reports whether the form's password is the user's,
// checked through the login gate (refused unchecked while it waits, a
// wrong one counted); otherwise it answers with the enrolment page again.
// Confirming switches the second factor to the pending secret, so it
// needs the password as starting does: a session stolen while an
// enrolment is pending shows its key on a reload, and without this the
// thief could confirm it first and take the recovery codes. A right
// password takes its count back (Guard.Forgive), since the code that
// follows is checked under the enrolment's own key.
func (a *app) confirmedByPassword(w http.ResponseWriter, r *http.Request, ses session, e enrolment, form url.Values) bool {
	ctx, trusted, err := a.device(r.Context(), r, ses.user) // the owner's browser keeps its own count
	if err != nil {
		a.fail(w, r, "device", err)
		return false
	}
	client := a.clientAddr(r)
	if !a.hasher.admit(client, trusted) {
		a.showEnrolment(w, r, ses, e, http.StatusTooManyRequests, busyText)
		return false
	}
	defer a.hasher.release(client, trusted)
	u, err := a.db.user(ctx, ses.user)
	if err != nil {
		a.fail(w, r, "user", err)
		return false
	}
	deadline := time.Now().Add(a.loginFloor)
	pctx, err := a.guard.CheckFactor(ctx, a.loginKey(ses.user), func(ctx context.Context) (bool, error) {
		return a.hasher.verify(ctx, form.Get("password"), u.passwordHash)
	})
	if err == nil {
		a.guard.Forgive(pctx)
	}
	padUntil(ctx, deadline)
	res, err := a.gateResult(factorCheck{err: err, failed: "wrong password"}, false)
	if err != nil {
		a.logAuth(r, "enrolment confirm", ses.user, res, err)
		a.fail(w, r, "confirm", err)
		return false
	}
	if res.verdict == granted {
		return true
	}
	a.logAuth(r, "enrolment confirm", ses.user, res, nil)
	status, text := refusal(w, res, "Wrong password. Check it and try again.")
	a.showEnrolment(w, r, ses, e, status, text)
	return false
}

// reauthenticated reports whether the session's user may change their
// two-factor settings: only with the password and, while two-factor is
// on, a current code or a recovery code, checked as a login is. A session
// alone is not enough: a stolen one could otherwise turn two-factor on
// with the thief's app and shut the owner out for good. It returns the
// user as checked; otherwise it answers the request itself.
func (a *app) reauthenticated(w http.ResponseWriter, r *http.Request, ses session, form url.Values, event string) (user, bool) {
	ctx := r.Context()
	u, err := a.db.user(ctx, ses.user)
	if err != nil {
		a.fail(w, r, "user", err)
		return user{}, false
	}
	second, hint := a.currentFactor(form, u.factorID != "")
	if hint != "" {
		a.accountError(w, r, ses, http.StatusBadRequest, hint)
		return user{}, false
	}
	deadline := time.Now().Add(a.loginFloor)
	res, err := a.checkCredentials(ctx, r, ses.user, form.Get("password"), second)
	padUntil(ctx, deadline)
	a.logAuth(r, event, ses.user, res, err)
	if err != nil {
		a.fail(w, r, event, err)
		return user{}, false
	}
	if res.verdict == granted {
		return res.user, true
	}
	deniedText := "Wrong password. Check it and try again."
	if u.factorID != "" {
		deniedText = "Wrong password or code. Check them and try again."
	}
	status, text := refusal(w, res, deniedText)
	a.accountError(w, r, ses, status, text)
	return user{}, false
}

// currentFactor reads the code field of a form that changes two-factor
// settings: a code from the app or, when the phone is lost, a recovery
// code, which cannot be taken for a code (16 letters and digits, not 6
// digits). Without it, someone who lost their phone could only spend
// their recovery codes one login at a time, until none was left.
func (a *app) currentFactor(form url.Values, required bool) (secondFactor, string) {
	typed := form.Get("code")
	if guard.IsRecoveryCode(typed) {
		return a.withRecoveryCode(typed), ""
	}
	code, hint := readCode(form, required)
	return a.withCode(code), hint
}

// confirmEnrolment turns the pending secret into the user's factor once
// the app's first code verifies.
func (a *app) confirmEnrolment(w http.ResponseWriter, r *http.Request, form url.Values) {
	ses, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	e, err := a.db.enrolment(ctx, ses.user, ses.tokenHash, a.now())
	if errors.Is(err, errNotFound) {
		a.message(w, r, http.StatusNotFound, "This set-up has expired or was finished. Start again from your account.", "/", "Go to your account")
		return
	}
	if err != nil {
		a.fail(w, r, "enrolment", err)
		return
	}
	secret, err := a.sealer.open(e.secret, e.keyID, secretAD(ses.user, e.factorID))
	if err != nil {
		a.fail(w, r, "open secret", err)
		return
	}
	code, hint := readCode(form, true)
	if hint != "" {
		a.showEnrolment(w, r, ses, e, http.StatusBadRequest, hint)
		return
	}
	if !a.confirmedByPassword(w, r, ses, e, form) {
		return
	}
	res, err := a.verifyEnrolmentCode(ctx, e.factorID, secret, code)
	a.logAuth(r, "enrolment confirm", ses.user, res, err)
	if err != nil {
		a.fail(w, r, "confirm", err)
		return
	}
	if res.verdict != granted {
		status, text := refusal(w, res, "That code did not match. Check that your phone's clock is right, and type the code the app shows now.")
		a.showEnrolment(w, r, ses, e, status, text)
		return
	}
	// One confirmation claims the enrolment (a double submit across two
	// steps brings two valid codes); it alone stores recovery codes, and
	// stores them before the factor is switched on, so that no moment
	// exists with a factor and no way back.
	claimed, err := a.db.claimEnrolment(ctx, ses.user, e.factorID, a.now())
	if err != nil {
		a.fail(w, r, "activate", err)
		return
	}
	if !claimed {
		a.message(w, r, http.StatusConflict, "This set-up was finished or replaced, or has expired. Go to your account to see where it stands.", "/", "Go to your account")
		return
	}
	codes, err := a.newRecoveryCodes(ctx, ses.user)
	if err == nil {
		err = a.db.activate(ctx, ses.user, e)
	}
	if err == nil {
		err = a.switchFactor(ctx, ses.user, e.factorID)
	}
	if err == nil {
		err = a.signIn(ctx, w, r, ses.user)
	}
	if err != nil {
		a.fail(w, r, "activate", err)
		return
	}
	a.logAuth(r, "two-factor on", ses.user, result{}, nil)
	a.showRecoveryCodes(w, r, ses.user, notices["on"], codes)
}

// switchFactor makes the login gate's state that of the new secret
// factorID: its used steps are those of its confirming code (so that code
// cannot sign in), its drift starts afresh (a new phone, perhaps), and
// every browser trusted before the change is trusted no more. Enroll
// also clears the failures: the change followed a full login and a code
// of the new secret.
func (a *app) switchFactor(ctx context.Context, name, factorID string) error {
	s, err := a.guard.State(ctx, enrolmentKey(factorID))
	if err != nil {
		return err
	}
	if err := a.guard.Enroll(ctx, a.loginKey(name), s.Next); err != nil {
		return err
	}
	return a.revokeDevices(ctx, name)
}

// removeFactor turns two-factor off, with the password and a current code
// (or a recovery code).
func (a *app) removeFactor(w http.ResponseWriter, r *http.Request, form url.Values) {
	ses, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	u, ok := a.reauthenticated(w, r, ses, form, "remove factor")
	if !ok {
		return
	}
	if u.factorID == "" { // off already
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	removed, err := a.db.removeFactor(ctx, ses.user, u.factorID)
	if err == nil && removed {
		err = a.guard.SetRecoveryCodes(ctx, a.loginKey(ses.user), nil) // a way back to no factor
	}
	if err == nil && removed {
		err = a.revokeDevices(ctx, ses.user)
	}
	if err == nil && removed {
		err = a.signIn(ctx, w, r, ses.user)
	}
	if err != nil {
		a.fail(w, r, "remove factor", err)
		return
	}
	if !removed {
		a.message(w, r, http.StatusConflict, "Your second factor was changed meanwhile, in another window. "+
			"Go to your account to see where it stands.", "/", "Go to your account")
		return
	}
	a.logAuth(r, "two-factor off", ses.user, result{}, nil)
	http.Redirect(w, r, "/?m=off", http.StatusSeeOther)
}

// accountError shows the account page with what went wrong above it.
func (a *app) accountError(w http.ResponseWriter, r *http.Request, ses session, status int, text string) {
	v, err := a.accountView(r.Context(), ses)
	if err != nil {
		a.fail(w, r, "account", err)
		return
	}
	v.Error = text
	a.render(w, r, status, "account", v)
}
