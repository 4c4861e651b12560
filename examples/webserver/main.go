// Command webserver is a small web service with two-factor login, showing
// how to use otp safely: enrolment with a QR code that is switched on only
// after a first good code, login with user name, password and code, replay
// protection with the returned step, and a limit on failed attempts.
//
//	go run ./examples/webserver   # then open http://127.0.0.1:8080
//
// It keeps users in memory. A real service stores them in a database and
// encrypts the TOTP secrets at rest.
package main

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"flag"
	"html/template"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/otpkit/otp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	s := newServer("Example Corp", passwordIterations, time.Now, log.New(os.Stderr, "", log.LstdFlags))
	srv := &http.Server{Addr: *addr, Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("listening on http://%s", *addr)
	log.Fatal(srv.ListenAndServe())
}

// passwordIterations is OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
const passwordIterations = 600_000

// Failed-attempt limits (RFC 4226 §7.3, NIST SP 800-63B §5.2.2): after
// freeFailures, each failure doubles a wait, up to maxDelay; after
// maxFailures in a row the account stays locked until an operator resets it.
const (
	freeFailures = 3
	maxDelay     = 15 * time.Minute
	maxFailures  = 100
)

type user struct {
	salt, passwordHash []byte
	secret             []byte // the TOTP secret, once two-factor is on
	pending            []byte // the secret shown at enrolment, awaiting a first code
	lastStep           uint64 // the step of the last accepted code: replay protection
	failures           int
	lockedUntil        time.Time
}

type server struct {
	issuer     string
	iterations int
	now        func() time.Time
	log        *log.Logger

	mu       sync.Mutex
	users    map[string]*user
	sessions map[string]string // session token → user name
}

func newServer(issuer string, iterations int, now func() time.Time, logger *log.Logger) *server {
	return &server{issuer: issuer, iterations: iterations, now: now, log: logger,
		users: map[string]*user{}, sessions: map[string]string{}}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /register", s.register)
	mux.HandleFunc("GET /enroll", s.enroll)
	mux.HandleFunc("POST /enroll", s.confirm)
	mux.HandleFunc("POST /login", s.login)
	return mux
}

var pages = template.Must(template.New("").Parse(`
{{define "top"}}<!doctype html><html><head><meta charset="utf-8"><title>otp example</title></head><body>{{end}}
{{define "home"}}{{template "top"}}
<h1>Sign up</h1>
<form method="post" action="/register"><input name="user" placeholder="user name"> <input name="password" type="password" placeholder="password"> <button>Sign up</button></form>
<h1>Log in</h1>
<form method="post" action="/login"><input name="user" placeholder="user name"> <input name="password" type="password" placeholder="password"> <input name="code" inputmode="numeric" autocomplete="one-time-code" placeholder="code"> <button>Log in</button></form>
</body></html>{{end}}
{{define "enroll"}}{{template "top"}}
<h1>Turn on two-factor authentication</h1>
<p>Scan this code with your authenticator app:</p>
<div style="width:240px">{{.QR}}</div>
<p>Or enter this key by hand: <code id="secret">{{.Secret}}</code></p>
<form method="post" action="/enroll"><input name="code" inputmode="numeric" autocomplete="one-time-code" placeholder="code from the app"> <button>Confirm</button></form>
</body></html>{{end}}
{{define "message"}}{{template "top"}}<p id="message">{{.}}</p><p><a href="/">Back</a></p></body></html>{{end}}
`))

func (s *server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", nil)
}

func (s *server) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // enrolment pages hold a secret
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Printf("render %s: %v", name, err)
	}
}

func (s *server) message(w http.ResponseWriter, status int, text string) {
	s.render(w, status, "message", text)
}

// register creates an account and starts a session for its enrolment.
func (s *server) register(w http.ResponseWriter, r *http.Request) {
	name, password := r.PostFormValue("user"), r.PostFormValue("password")
	if name == "" || len(password) < 8 {
		s.message(w, http.StatusBadRequest, "A user name and a password of at least 8 characters, please.")
		return
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		s.message(w, http.StatusInternalServerError, "Try again.")
		return
	}
	hash, err := s.hashPassword(password, salt)
	if err != nil {
		s.message(w, http.StatusInternalServerError, "Try again.")
		return
	}
	s.mu.Lock()
	_, taken := s.users[name]
	if !taken {
		s.users[name] = &user{salt: salt, passwordHash: hash}
	}
	s.mu.Unlock()
	if taken {
		s.message(w, http.StatusConflict, "That user name is taken.")
		return
	}
	if err := s.startSession(w, name); err != nil {
		s.message(w, http.StatusInternalServerError, "Try again.")
		return
	}
	s.log.Printf("registered user=%q", name)
	http.Redirect(w, r, "/enroll", http.StatusSeeOther)
}

func (s *server) hashPassword(password string, salt []byte) ([]byte, error) {
	return pbkdf2.Key(sha256.New, password, salt, s.iterations, 32)
}

func (s *server) startSession(w http.ResponseWriter, name string) error {
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return err
	}
	t := base64.RawURLEncoding.EncodeToString(token)
	s.mu.Lock()
	s.sessions[t] = name
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return nil
}

// sessionUser returns the signed-in user's name, or "" for none.
func (s *server) sessionUser(r *http.Request) string {
	c, err := r.Cookie("session")
	if err != nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[c.Value]
}

// enroll shows a new secret as a QR code and as text. Two-factor is not
// on until the user proves, with a first code, that the app has it.
func (s *server) enroll(w http.ResponseWriter, r *http.Request) {
	name := s.sessionUser(r)
	if name == "" {
		s.message(w, http.StatusUnauthorized, "Sign up or log in first.")
		return
	}
	key, err := otp.GenerateKey(s.issuer, name)
	if err != nil {
		s.message(w, http.StatusBadRequest, "That user name cannot be enrolled.")
		return
	}
	code, err := key.QR()
	if err != nil {
		s.message(w, http.StatusInternalServerError, "Try again.")
		return
	}
	s.mu.Lock()
	s.users[name].pending = key.Secret
	s.mu.Unlock()
	s.render(w, http.StatusOK, "enroll", struct {
		QR     template.HTML // generated here from modules alone: safe to inline
		Secret string
	}{template.HTML(code.SVG()), otp.FormatSecret(key.Secret)})
}

// confirm switches two-factor on once the first code from the app verifies.
func (s *server) confirm(w http.ResponseWriter, r *http.Request) {
	name := s.sessionUser(r)
	if name == "" {
		s.message(w, http.StatusUnauthorized, "Sign up or log in first.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if wait := s.locked(u); wait != "" {
		s.message(w, http.StatusTooManyRequests, wait)
		return
	}
	if u.pending == nil {
		s.message(w, http.StatusBadRequest, "Start the enrolment first.")
		return
	}
	s.countAttempt(u)
	step, err := totp(u.pending).Verify(r.PostFormValue("code"), s.now(), 0)
	if err != nil {
		s.logFailure(u, name, "enrolment code", err)
		s.message(w, http.StatusUnauthorized, "That code did not match. Check the app and try again.")
		return
	}
	clearFailures(u)
	u.secret, u.pending, u.lastStep = u.pending, nil, step
	s.log.Printf("two-factor on user=%q", name)
	s.message(w, http.StatusOK, "Two-factor authentication is on.")
}

// totp is the verifier for a user's secret: RFC 6238 defaults with one
// step of skew each way for clock drift.
func totp(secret []byte) otp.TOTP {
	return otp.TOTP{Secret: secret, Skew: 1}
}

// dummySalt is hashed with for unknown users, so that a login takes as long
// whether or not the user exists.
var dummySalt = make([]byte, 16)

// login checks the password and, once two-factor is on, the code. It tells
// the client nothing about which factor failed.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	name, password, code := r.PostFormValue("user"), r.PostFormValue("password"), r.PostFormValue("code")
	s.mu.Lock()
	u := s.users[name]
	if u != nil {
		if wait := s.locked(u); wait != "" {
			s.mu.Unlock()
			s.log.Printf("login refused user=%q reason=locked", name)
			s.message(w, http.StatusTooManyRequests, wait)
			return
		}
		// Counted before the slow password check, in the same critical
		// section as the limit check, so parallel requests cannot all pass.
		s.countAttempt(u)
	}
	s.mu.Unlock()

	salt, want := dummySalt, []byte(nil)
	if u != nil {
		salt, want = u.salt, u.passwordHash
	}
	got, err := s.hashPassword(password, salt)
	passwordOK := err == nil && want != nil && subtle.ConstantTimeCompare(got, want) == 1

	if u == nil {
		s.log.Printf("login failed user=%q reason=unknown user", name)
		s.message(w, http.StatusUnauthorized, "Login failed.")
		return
	}
	if !s.checkSecondFactor(u, name, passwordOK, code) {
		s.message(w, http.StatusUnauthorized, "Login failed.")
		return
	}
	s.log.Printf("login ok user=%q", name)
	if err := s.startSession(w, name); err != nil {
		s.message(w, http.StatusInternalServerError, "Try again.")
		return
	}
	s.message(w, http.StatusOK, "Welcome, "+name+".")
}

// checkSecondFactor finishes a login, already counted as a failed attempt,
// whose password check gave passwordOK: it verifies the code once
// two-factor is on, and clears the failures on success.
func (s *server) checkSecondFactor(u *user, name string, passwordOK bool, code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !passwordOK {
		s.logFailure(u, name, "password", nil)
		return false
	}
	if u.secret != nil {
		// The step returned is stored: the same code is never accepted twice.
		step, err := totp(u.secret).Verify(code, s.now(), u.lastStep)
		if err != nil {
			s.logFailure(u, name, "code", err)
			return false
		}
		u.lastStep = step
	}
	clearFailures(u)
	return true
}

// locked returns why u may not try now, or "". The caller holds s.mu.
func (s *server) locked(u *user) string {
	if u.failures >= maxFailures {
		return "Too many failed attempts: this account is locked. Contact support."
	}
	if wait := u.lockedUntil.Sub(s.now()); wait > 0 {
		return "Too many failed attempts. Try again in " + wait.Round(time.Second).String() + "."
	}
	return ""
}

// countAttempt counts an attempt as failed before it is checked, and sets
// the wait before the next one; clearFailures undoes it on success. The
// caller holds s.mu.
func (s *server) countAttempt(u *user) {
	u.failures++
	if extra := u.failures - freeFailures; extra > 0 {
		delay := maxDelay
		if extra < 20 {
			delay = min(time.Duration(1<<extra)*time.Second, maxDelay)
		}
		u.lockedUntil = s.now().Add(delay)
	}
}

func clearFailures(u *user) { u.failures, u.lockedUntil = 0, time.Time{} }

// logFailure says which factor failed and why, never the code or the
// secret. The caller holds s.mu.
func (s *server) logFailure(u *user, name, factor string, err error) {
	reason := "wrong " + factor
	if errors.Is(err, otp.ErrReplayed) {
		reason = "replayed code"
	}
	s.log.Printf("login failed user=%q reason=%q failures=%d", name, reason, u.failures)
}
