package main

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

//go:embed templates/pages.html
var templateFiles embed.FS

var pages = template.Must(template.ParseFS(templateFiles, "templates/pages.html"))

// view is what a page shows. Every text in it comes from this program or
// is escaped by html/template; the QR code is SVG that this program
// draws from the code's modules alone.
type view struct {
	Issuer, Title string
	User          string // signed in as, for the header
	Notice, Error string
	Next          *link
	Name          string // the user name typed, to type it once only

	HasFactor, Pending bool // account page; HasFactor also on the enrolment page
	RecoveryLeft       int

	Codes    []string     // recovery codes, shown once
	Download template.URL // the same as a text file

	QR      template.HTML // enrolment page
	URI     template.URL  // otpauth://, which html/template would otherwise refuse
	Secret  string
	Expires string
}

type link struct{ Href, Text string }

// render writes a page. It renders into a buffer first, so that a
// template error becomes a clean 500 and not half a page.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Issuer = a.issuer
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, v); err != nil {
		a.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message shows text and one link to what to do next.
func (a *app) message(w http.ResponseWriter, r *http.Request, status int, text, href, linkText string) {
	title := "Done"
	if status >= 400 {
		title = "That did not work"
	}
	v := view{Title: title, Next: &link{Href: href, Text: linkText}}
	if status >= 400 {
		v.Error = text
	} else {
		v.Notice = text
	}
	a.render(w, r, status, "message", v)
}

// retryAfter sets Retry-After to d in whole seconds, rounded up: a client
// that waits that long is never early.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.FormatInt(seconds(d), 10))
}

func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// waitText says how long to wait, in words.
func waitText(d time.Duration) string {
	s := seconds(d)
	switch {
	case s <= 1:
		return "a second"
	case s < 120:
		return strconv.FormatInt(s, 10) + " seconds"
	}
	return strconv.FormatInt((s+59)/60, 10) + " minutes"
}

// notices are the messages a redirect may ask the next page to show, by
// name, so that no text from a URL reaches a page.
var notices = map[string]string{
	"welcome":  "Your account is ready. Now turn on two-factor authentication.",
	"on":       "Two-factor authentication is on. Next time, sign in with your password and a code from the app.",
	"off":      "Two-factor authentication is off.",
	"out":      "You are signed out.",
	"loggedin": "You are signed in.",
	"recovered": "You are signed in with a recovery code, which is now used up. " +
		"If your phone is lost, replace your authenticator below, with your password and another recovery code.",
}
