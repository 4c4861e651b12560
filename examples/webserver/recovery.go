package main

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otpkit/otp/guard"
)

// Recovery codes: shown once, when two-factor is turned on (or when the
// user asks for a new set), and stored by the Guard as hashes only. Each
// one signs in once, in place of a code, when the phone is lost.

// newRecoveryCodes replaces the user's recovery codes with a new set and
// returns it, for the one page that ever shows it. They are kept under
// the login key, whose state they share with codes and passwords.
func (a *app) newRecoveryCodes(ctx context.Context, name string) ([]string, error) {
	codes, err := guard.GenerateRecoveryCodes(0)
	if err != nil {
		return nil, err
	}
	return codes, a.guard.SetRecoveryCodes(ctx, a.loginKey(name), codes)
}

// showRecoveryCodes shows a new set, with a text file of it to download.
// The file is a data: URL in the page itself, so the codes are never
// stored or served a second time.
func (a *app) showRecoveryCodes(w http.ResponseWriter, r *http.Request, name, notice string, codes []string) {
	var text strings.Builder
	text.WriteString(a.issuer + " recovery codes for " + name + "\n\n" +
		"Each code signs you in once, in place of a code from your authenticator app.\n" +
		"Keep them somewhere safe, apart from your phone.\n\n")
	for _, c := range codes {
		text.WriteString(c + "\n")
	}
	a.render(w, r, http.StatusOK, "recovery-codes", view{
		Title: "Save your recovery codes", User: name, Notice: notice, Codes: codes,
		Download: template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text.String())),
	})
}

// regenerateRecoveryCodes makes a new set, with the password and a
// current code; the old set stops working.
func (a *app) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, form url.Values) {
	ses, ok := a.requireSession(w, r)
	if !ok {
		return
	}
	u, ok := a.reauthenticated(w, r, ses, form, "new recovery codes")
	if !ok {
		return
	}
	if u.factorID == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	codes, err := a.newRecoveryCodes(r.Context(), ses.user)
	if err != nil {
		a.fail(w, r, "recovery codes", err)
		return
	}
	a.logAuth(r, "new recovery codes", ses.user, result{}, nil)
	a.showRecoveryCodes(w, r, ses.user, "Your old recovery codes no longer work.", codes)
}

func (a *app) recoveryLoginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "recovery-login", view{Title: "Sign in with a recovery code"})
}

// recoveryLogin is login with a recovery code in place of the app's code,
// with everything else as login has it: the same delays, the same
// answers, the same time.
func (a *app) recoveryLogin(w http.ResponseWriter, r *http.Request, form url.Values) {
	deadline := time.Now().Add(a.loginFloor)
	ctx, name := r.Context(), form.Get("user")
	res, err := a.checkCredentials(ctx, r, name, form.Get("password"), a.withRecoveryCode(form.Get("recovery")))
	if err == nil && res.verdict == granted {
		err = a.signIn(ctx, w, r, res.user.name)
	}
	padUntil(ctx, deadline)
	a.logAuth(r, "recovery login", res.user.name, res, err)
	if err != nil {
		a.fail(w, r, "recovery login", err)
		return
	}
	if res.verdict == granted && res.user.factorID == "" { // no code was needed, and none was used
		http.Redirect(w, r, "/?m=loggedin", http.StatusSeeOther)
		return
	}
	if res.verdict == granted {
		http.Redirect(w, r, "/?m=recovered", http.StatusSeeOther)
		return
	}
	status, text := refusal(w, res, "Wrong user name, password or recovery code. Check them and try again.")
	a.render(w, r, status, "recovery-login", view{Title: "Sign in with a recovery code", Name: name, Error: text})
}
