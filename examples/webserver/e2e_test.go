package main

// End-to-end tests: the example built as a binary, run as processes on
// one database, and driven by a real browser.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// exampleBinary builds the example once for every test that runs it.
var exampleBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "otp-webserver-bin")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "webserver")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// process is the example running as its own process.
type process struct {
	url     string
	cmd     *exec.Cmd
	out     *syncBuffer
	outDone chan struct{} // closed when the log has been read to its end
}

// startProcess runs the binary on a free port with -db and the key in the
// environment, and waits until it listens.
func startProcess(t *testing.T, db, key string) *process {
	t.Helper()
	bin, err := exampleBinary()
	require.NoError(t, err)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", db)
	cmd.Env = append(os.Environ(), keyEnv+"="+key)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, out: &syncBuffer{}, outDone: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		defer close(p.outDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.out.Write([]byte(sc.Text() + "\n"))
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case p.url = <-listening:
		return p
	case <-time.After(15 * time.Second):
		t.Fatalf("the server did not start: %s", p.out.String())
		return nil
	}
}

// stop sends SIGTERM, as a service manager does, and checks that the
// process exits cleanly.
func (p *process) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() {
		<-p.outDone // Wait closes the pipe: read it to its end first
		done <- p.cmd.Wait()
	}()
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status after SIGTERM: %s", p.out.String())
		assert.Contains(t, p.out.String(), `msg="shut down"`)
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Error("the server did not stop on SIGTERM")
	}
}

// stepStart waits, if the current TOTP step has less than margin left, for
// the next one, so that a sequence of codes computed now stays valid.
func stepStart(margin time.Duration) {
	left, _ := totpFor([]byte("x")).Remaining(time.Now())
	if left < margin {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// TestProcessesShareOneDatabase: two processes of the example on one
// database are one site: a session from one works on the other, and one
// code sent to both at once is accepted by exactly one.
func TestProcessesShareOneDatabase(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "web.db")
		key := newKeyHex()
		twoProcesses(t, startProcess(t, db, key), startProcess(t, db, key))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn, key := postgresDSN(t), newKeyHex()
		twoProcesses(t, startProcess(t, dsn, key), startProcess(t, dsn, key))
	})
}

func twoProcesses(t *testing.T, a, b *process) {
	signup := newClient(t, a.url)
	signup.post("/signup", url.Values{"user": {"bob"}, "password": {"password1"}}, http.StatusSeeOther)
	signup.post("/enroll/start", url.Values{"password": {"password1"}}, http.StatusSeeOther)
	secret := pageSecretOf(t, signup.get("/enroll", http.StatusOK))

	// Three codes in a row, each once: the step before now confirms, now's
	// logs in, the next goes to both servers. All three are in the window
	// (Skew 1) for as long as this test needs.
	stepStart(8 * time.Second)
	now := time.Now()
	signup.post("/enroll/confirm", url.Values{"code": {codeAt(t, secret, now.Add(-30*time.Second))}, "password": {"password1"}}, http.StatusOK)
	onA := newClient(t, a.url)
	onA.post("/login", url.Values{"user": {"bob"}, "password": {"password1"}, "code": {codeAt(t, secret, now)}}, http.StatusSeeOther)

	onB := newClient(t, b.url)
	u, _ := url.Parse(b.url)
	onB.http.Jar.SetCookies(u, onA.http.Jar.Cookies(u)) // 127.0.0.1 on either port
	assert.Contains(t, onB.get("/", http.StatusOK), `<span id="signed-in">bob</span>`, "A's session works on B")

	next := codeAt(t, secret, now.Add(30*time.Second))
	bodies := make([]string, 2)
	var wg sync.WaitGroup
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, p := range []*process{a, b} {
		wg.Go(func() {
			resp, err := noRedirect.PostForm(p.url+"/login", url.Values{"user": {"bob"}, "password": {"password1"}, "code": {next}})
			if assert.NoError(t, err) {
				resp.Body.Close()
				bodies[i] = resp.Status
			}
		})
	}
	wg.Wait()
	assert.ElementsMatch(t, []string{"303 See Other", "401 Unauthorized"}, bodies, "one code, two servers: accepted once")
	// The log of the refused attempt may reach the pipe after its answer.
	assert.Eventually(t, func() bool {
		return strings.Count(a.out.String()+b.out.String(), `reason="replayed code"`) == 1
	}, 5*time.Second, 10*time.Millisecond, "one attempt refused as a replay")
}

// TestBrowser drives Debian's chromium through sign-up, enrolment by a QR
// code read from the screen, login, a replayed code, a recovery code, and
// a session carried to a second server.
func TestBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireTool(t, "chromium", "chromium")
	requireTool(t, "zbarimg", "zbar-tools")
	db, key := filepath.Join(t.TempDir(), "web.db"), newKeyHex()
	a, b := startProcess(t, db, key), startProcess(t, db, key)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(800, 1200),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	var consoleMu sync.Mutex
	var console []string
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok {
			consoleMu.Lock()
			console = append(console, e.Entry.Text)
			consoleMu.Unlock()
		}
	}))
	type step = chromedp.Action[chromedp.Void]
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	do := func(what string, steps ...step) {
		t.Helper()
		require.NoError(t, chromedp.Do(bctx, steps...), what)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(css(sel)))
		require.NoError(t, err, "read %s", sel)
		return s
	}
	click := func(sel string) step { return chromedp.Click(css(sel)) }
	visible := func(sel string) step { return chromedp.WaitVisible(css(sel)) }
	clear := func(sel string) step { // typing goes after what a field holds
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).value = ""`)(ctx, t)
			return err
		})
	}
	fill := func(fields ...string) step {
		var steps []step
		for i := 0; i+1 < len(fields); i += 2 {
			steps = append(steps, visible(fields[i]), clear(fields[i]), chromedp.SendKeys(css(fields[i]), fields[i+1]))
		}
		return chromedp.Steps(steps...)
	}

	do("sign up", chromedp.Navigate(a.url+"/"), click(`a[href="/signup"]`), visible("#signup"),
		fill("#user", "alice", "#password", "correct horse"), click("#signup"), visible("#start"))
	assert.Contains(t, text("#notice"), "Your account is ready.")
	width, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("main")).maxWidth`))
	require.NoError(t, err)
	assert.Equal(t, "512px", width, "the stylesheet applies")

	do("start enrolment", fill("#password", "correct horse"), click("#start"), visible("#qr svg"))
	uri := scanScreen(t, bctx)
	k, err := otp.ParseURI(uri)
	require.NoError(t, err)
	assert.Equal(t, "Example Corp", k.Issuer)
	assert.Equal(t, "alice", k.Account)
	assert.Equal(t, strings.ReplaceAll(text("#secret"), " ", ""), otp.EncodeSecret(k.Secret), "the QR code and the text agree")

	do("reload", chromedp.Reload(), visible("#qr svg"))
	assert.Equal(t, uri, scanScreen(t, bctx), "a reload shows the same QR code")
	tk := k.TOTP()
	tk.Skew = 1
	code := func(at time.Time) string {
		c, err := tk.Generate(at)
		require.NoError(t, err)
		return c
	}
	wrong := "000000"
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		if code(time.Now().Add(d)) == wrong {
			wrong = "000001"
		}
	}
	do("a wrong code", fill("#code", wrong, "#confirm-password", "correct horse"), click("#confirm"), visible("#error"))
	assert.Contains(t, text("#error"), "That code did not match.")
	assert.Equal(t, uri, scanScreen(t, bctx), "after a wrong code, the same QR code")

	stepStart(5 * time.Second)
	confirmedAt := time.Now()
	c := code(confirmedAt)
	do("confirm", fill("#code", c[:3]+" "+c[3:], "#confirm-password", "correct horse"), click("#confirm"), visible("#codes"))
	recovery, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#codes li")].map(li => li.textContent)`))
	require.NoError(t, err)
	require.Len(t, recovery, 10)
	screenshot(t, bctx, "recovery-codes")
	download, err := chromedp.Run(bctx, chromedp.AttributeValue(css("#download"), "href"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(download.Value, "data:text/plain"))
	assert.Contains(t, download.Value, recovery[0])

	do("log out", click("#next"), visible("#recovery-left"), click("header button"), visible("#login"))
	assert.Contains(t, text("#notice"), "You are signed out.")

	login := func(c string) step {
		return chromedp.Steps(fill("#user", "alice", "#password", "correct horse", "#code", c), click("#login"))
	}
	next := code(confirmedAt.Add(30 * time.Second))
	do("log in", login(next), visible("#signed-in"))
	assert.Equal(t, "alice", text("#signed-in"))
	assert.Contains(t, text("#status"), "on")

	do("replay", click("header button"), visible("#login"), login(next), visible("#error"))
	assert.Contains(t, text("#error"), "That code was used already. Wait for the next code in your app")
	screenshot(t, bctx, "replayed")

	do("recovery login", click("#use-recovery"), visible("#recovery"),
		fill("#user", "alice", "#password", "correct horse", "#recovery", recovery[0]),
		click("#login"), visible("#recovery-left"))
	assert.Contains(t, text("#notice"), "signed in with a recovery code")
	assert.Contains(t, text("#recovery-left"), "9 unused recovery codes")
	screenshot(t, bctx, "account")

	do("the other server", chromedp.Navigate(b.url+"/"), visible("#signed-in"))
	assert.Equal(t, "alice", text("#signed-in"), "the session from A works on B")

	consoleMu.Lock()
	defer consoleMu.Unlock()
	for _, line := range console {
		assert.NotContains(t, line, "Content Security Policy", "the pages keep to their own CSP")
	}
}

// scanScreen takes a screenshot of the browser's window and returns what
// zbarimg reads in its pixels.
func scanScreen(t *testing.T, ctx context.Context) string {
	t.Helper()
	path := screenshot(t, ctx, "qr")
	out, err := exec.Command("zbarimg", "--quiet", "--raw", path).Output()
	require.NoError(t, err, "zbarimg found no QR code on the screen")
	return strings.TrimSpace(string(out))
}

// screenshot saves the browser's window as a PNG file and returns its
// path. With OTP_WEBSERVER_SCREENSHOTS set to a directory, a copy goes
// there, for a person to look at the pages.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o600))
	if dir := os.Getenv("OTP_WEBSERVER_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, time.Now().Format("150405.000")+"-"+name+".png"), png, 0o600)
	}
	return path
}

// TestSecondSignalStopsAtOnce: the first SIGTERM (or Ctrl-C) shuts down
// gracefully, waiting for requests in flight; a second one, from someone
// who will not wait, stops the process at once.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	p := startProcess(t, filepath.Join(t.TempDir(), "web.db"), newKeyHex())
	u, err := url.Parse(p.url)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	// A form that never arrives whole keeps a request in flight, which the
	// graceful shutdown waits for.
	_, err = conn.Write([]byte("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser="))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(p.out.String(), "shutting down") }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() {
		<-p.outDone
		done <- p.cmd.Wait()
	}()
	select {
	case err := <-done:
		assert.Error(t, err, "killed by the signal, not a clean exit")
	case <-time.After(3 * time.Second):
		t.Error("the second SIGTERM did not stop the process")
		p.cmd.Process.Kill()
		<-done
	}
}
