package main

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/otpkit/otp/guard"
)

// app is the web application: its handlers and what they share.
type app struct {
	issuer string
	db     store
	guard  *guard.Guard
	sealer *sealer
	hasher *hasher
	now    func() time.Time
	log    *slog.Logger

	// https: served over HTTPS, by -tls-cert or by a proxy in front, so
	// cookies are Secure with the __Host- prefix and browsers are told to
	// keep to HTTPS.
	https bool
	// proxied: behind a reverse proxy, which appends the client's address
	// to X-Forwarded-For.
	proxied bool
	// nameKey keys the MACs that stand for names without an account in
	// the Guard's table (see unknownNameKey).
	nameKey []byte
	// loginFloor is the least time a login response takes, so that the
	// time tells nothing about which check failed (see padUntil).
	loginFloor time.Duration
}

// Lifetimes.
const (
	sessionIdle   = 30 * time.Minute // no request for this long ends a session
	sessionMaxAge = 12 * time.Hour   // and no session lasts longer
	enrolmentTTL  = 15 * time.Minute // a secret shown but not confirmed
	deviceMaxAge  = 365 * 24 * time.Hour
	loginFloor    = 500 * time.Millisecond // several password hashes' time
)

// Request limits: far above what the forms need, far below what would
// cost memory or disk.
const (
	maxFormBytes = 8 << 10
	maxNameLen   = 64 // bytes
)

//go:embed static
var static embed.FS

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /signup", a.signupPage)
	mux.Handle("POST /signup", a.form(a.signup))
	mux.Handle("POST /login", a.form(a.login))
	mux.HandleFunc("GET /login/recovery", a.recoveryLoginPage)
	mux.Handle("POST /login/recovery", a.form(a.recoveryLogin))
	mux.Handle("POST /recovery/new", a.form(a.regenerateRecoveryCodes))
	mux.Handle("POST /logout", a.form(a.logout))
	mux.HandleFunc("GET /enroll", a.enrollPage)
	mux.Handle("POST /enroll/start", a.form(a.startEnrolment))
	mux.Handle("POST /enroll/confirm", a.form(a.confirmEnrolment))
	mux.Handle("POST /factor/remove", a.form(a.removeFactor))
	mux.HandleFunc("GET /static/{file}", a.staticFile)
	mux.HandleFunc("/", a.notFound)

	// Every POST here changes state; CrossOriginProtection refuses those a
	// browser sends from another origin (by Sec-Fetch-Site, or Origin
	// against Host), the CSRF defence that needs no token in the forms.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		a.message(w, r, http.StatusForbidden, "This form was sent from another site, so it was ignored.", "/", "Go to the sign-in page")
	}))
	return a.securityHeaders(cop.Handler(mux))
}

func (a *app) notFound(w http.ResponseWriter, r *http.Request) {
	a.message(w, r, http.StatusNotFound, "There is no page here.", "/", "Go to the start page")
}

// staticFile serves a file of the static directory, which browsers may
// keep for an hour, and nothing else: no listing of the directory, and no
// cached 404 page.
func (a *app) staticFile(w http.ResponseWriter, r *http.Request) {
	name := "static/" + r.PathValue("file")
	if info, err := fs.Stat(static, name); err != nil || info.IsDir() {
		a.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, static, name)
}

// contentSecurityPolicy allows the stylesheet from this origin and nothing
// else: no script at all, no framing, forms only to this origin.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (a *app) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY") // frame-ancestors for older browsers
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Every page has a form or a secret: no copy in any cache, and none
		// shown again by Back after logout. The stylesheet overrides this.
		h.Set("Cache-Control", "no-store")
		if a.https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// form reads a POSTed form before f sees it: URL-encoded only (a
// multipart body could spill to a temporary file), and at most
// maxFormBytes.
func (a *app) form(f func(http.ResponseWriter, *http.Request, url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mediaType != "application/x-www-form-urlencoded" {
			a.message(w, r, http.StatusUnsupportedMediaType, "This form must be sent as a web form.", "/", "Go to the start page")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			a.message(w, r, status, "That form was too large or malformed.", "/", "Go to the start page")
			return
		}
		f(w, r, r.PostForm)
	})
}

// Cookie names. With TLS, the __Host- prefix makes browsers refuse the
// cookie unless it is Secure, for this host only and for every path, so
// that no other site on a sibling domain can plant one.
func (a *app) cookieName(base string) string {
	if a.https {
		return "__Host-" + base
	}
	return base
}

// setCookie writes an HttpOnly cookie (no script reads it). SameSite=Lax
// keeps it off cross-site POSTs, while a link from an e-mail still opens
// the site signed in; CrossOriginProtection covers the rest.
func (a *app) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: a.https, SameSite: http.SameSiteLaxMode,
	})
}

// setDeviceCookie gives the browser its device token (see trustDevice),
// as setCookie does but SameSite=Strict: the token only ever goes with
// this site's own forms, never with a request another site starts.
func (a *app) setDeviceCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName("device"), Value: token, Path: "/", MaxAge: int(deviceMaxAge / time.Second),
		HttpOnly: true, Secure: a.https, SameSite: http.SameSiteStrictMode,
	})
}

// Keys derived from the sealing key (HKDF-SHA256), each under a label of
// its own, so that every instance has the same ones and no other secret
// has to be kept. A new sealing key makes every device untrusted until
// its next full login, and starts the counts of names without an account
// afresh.
const (
	deviceKeyLabel  = "otp-webserver guard device key v1" // Guard.DeviceKey
	nameMACKeyLabel = "otp-webserver unknown name key v1" // app.nameKey
)

func deriveKey(sealingKey []byte, label string) ([]byte, error) {
	return hkdf.Key(sha256.New, sealingKey, nil, label, 32)
}

// newToken returns 256 random bits for a cookie, and the hash under
// which the database keeps it, so that a copy of the database opens no
// session.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = hex.EncodeToString(b)
	return token, tokenHash(token)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// currentSession returns the request's session, or errNotFound if it has
// none, or one that has expired (which it deletes).
func (a *app) currentSession(r *http.Request) (session, error) {
	c, err := r.Cookie(a.cookieName("session"))
	if err != nil {
		return session{}, errNotFound
	}
	ctx, now := r.Context(), a.now()
	ses, err := a.db.session(ctx, tokenHash(c.Value))
	if err != nil {
		return ses, err
	}
	if now.Sub(ses.seen) > sessionIdle || now.Sub(ses.created) > sessionMaxAge {
		return session{}, errors.Join(errNotFound, a.db.deleteSession(ctx, ses.tokenHash))
	}
	if now.Sub(ses.seen) > time.Minute { // one write a minute at most
		err = a.db.touchSession(ctx, ses.tokenHash, now)
	}
	return ses, err
}

// startSession signs the browser in as name with a new session token,
// ending the one it had: a token fixed before login (by an attacker who
// planted it, say) never becomes a signed-in session.
func (a *app) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) error {
	if c, err := r.Cookie(a.cookieName("session")); err == nil {
		if err := a.db.deleteSession(ctx, tokenHash(c.Value)); err != nil {
			return err
		}
	}
	token, hash := newToken()
	if err := a.db.createSession(ctx, hash, name, a.now()); err != nil {
		return err
	}
	a.setCookie(w, "session", token, 0)
	return nil
}

// requireSession returns the session, or answers the request itself and
// reports false.
func (a *app) requireSession(w http.ResponseWriter, r *http.Request) (session, bool) {
	ses, err := a.currentSession(r)
	switch {
	case err == nil:
		return ses, true
	case errors.Is(err, errNotFound):
		a.message(w, r, http.StatusUnauthorized, "You are not signed in, or your session has expired.", "/", "Sign in")
	default:
		a.fail(w, r, "session", err)
	}
	return session{}, false
}

// fail answers a request that failed on the server's side, and logs why.
func (a *app) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.Error("request failed", "path", r.URL.Path, "step", what, "err", err)
	a.message(w, r, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.", "/", "Go to the start page")
}

// clientAddr is the client the request came from, as throttles count
// clients: its IPv4 address, or its IPv6 /64, the block one subscriber
// gets (its addresses are one client's to choose). Behind a proxy
// (-behind-proxy) the address is the last in X-Forwarded-For, the one the
// proxy appended: those before it are whatever the client sent. Without
// the flag no forwarded header is trusted, since anyone can send one.
func (a *app) clientAddr(r *http.Request) string {
	if a.proxied {
		forwarded := r.Header.Values("X-Forwarded-For")
		if n := len(forwarded); n > 0 {
			hops := strings.Split(forwarded[n-1], ",")
			if addr, err := netip.ParseAddr(strings.TrimSpace(hops[len(hops)-1])); err == nil {
				return clientOf(addr)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return clientOf(addr)
	}
	return host
}

// clientOf is an address as one client: IPv4 (IPv4-mapped too) as it is,
// IPv6 as its /64.
func clientOf(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return addr.String()
	}
	return p.String()
}
