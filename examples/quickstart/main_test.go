package main

import (
	"bytes"
	"image/png"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// at is the time every session runs at, 1s before its step ends.
var at = time.Unix(1111111109, 0)

// result is what one run of the program did.
type result struct {
	exit           int
	stdout, stderr string
}

// drive runs the program with args on the given answers, one a line, at
// the time at, with the key testSecret and the PNG in a test directory
// unless args say otherwise.
func drive(t *testing.T, args []string, answers ...string) result {
	t.Helper()
	if !hasFlag(args, "-secret") {
		args = append([]string{"-secret", testSecret}, args...)
	}
	if !hasFlag(args, "-png") {
		args = append([]string{"-png", filepath.Join(t.TempDir(), "qr.png")}, args...)
	}
	return runWith(t, args, strings.NewReader(strings.Join(answers, "\n")+"\n"), func() time.Time { return at })
}

func runWith(t *testing.T, args []string, in io.Reader, now func() time.Time) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	exit := run(args, in, &stdout, &stderr, now)
	return result{exit, stdout.String(), stderr.String()}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func codeAt(t *testing.T, at time.Time) string {
	t.Helper()
	secret, err := otp.DecodeSecret(testSecret)
	require.NoError(t, err)
	code, err := otp.TOTP{Secret: secret}.Generate(at)
	require.NoError(t, err)
	return code
}

// enrolAs are the answers that choose the password pw and log in with it.
func enrolAs(pw string) []string { return []string{pw, pw, "alice", pw} }

func answers(groups ...[]string) []string {
	var all []string
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

func TestQuickstart(t *testing.T) {
	t.Parallel()
	right := codeAt(t, at)
	next := codeAt(t, at.Add(30*time.Second))
	wrong := "000000"
	require.NotContains(t, []string{right, next}, wrong)
	pw := "tr0ub4dor&3"

	tests := []struct {
		name    string
		answers []string
		exit    int
		says    []string
		errs    string
	}{
		{"the password chosen at enrolment logs in; the replayed code is refused",
			answers(enrolAs(pw), []string{right, right}), 0,
			[]string{"Choose a password for \"alice\"", "Code accepted.", "Logged in as \"alice\"",
				"type the code you logged in with, " + right, "Code refused: it was used already (otp.ErrReplayed)", "Done:"}, ""},
		{"the two passwords differ, then agree",
			answers([]string{pw, "typo"}, enrolAs(pw), []string{right, right}), 0,
			[]string{"The two passwords differ. Try again (2 left).", "Done:"}, ""},
		{"an empty password is refused",
			answers([]string{""}, enrolAs(pw), []string{right, right}), 0,
			[]string{"An empty password will not do. Try again (2 left).", "Done:"}, ""},
		{"never the same password twice",
			[]string{"a", "b", "c", "d", "e", "f"}, 1,
			[]string{"The two passwords differ. Try again (1 left)."}, "quickstart: no password chosen in 3 tries\n"},
		{"a wrong password, then the right one",
			answers([]string{pw, pw, "alice", "hunter2", "alice", pw, right, right}), 0,
			[]string{"Wrong user name or password. Try again (2 left).", "Logged in", "Done:"}, ""},
		{"a wrong user, then the right one",
			answers([]string{pw, pw, "bob", pw}, []string{"alice", pw, right, right}), 0,
			[]string{"Wrong user name or password. Try again (2 left).", "Logged in"}, ""},
		{"three wrong passwords",
			answers([]string{pw, pw}, []string{"alice", "1", "alice", "2", "alice", "3"}), 1,
			[]string{"Try again (1 left)."}, "quickstart: login refused: 3 wrong passwords\n"},
		{"a wrong code, then the right one",
			answers(enrolAs(pw), []string{wrong, right, right}), 0,
			[]string{"Code refused: wrong code. Try again (2 left).", "Code accepted.", "Done:"}, ""},
		{"the previous step's code still works (skew 1)",
			answers(enrolAs(pw), []string{codeAt(t, at.Add(-30*time.Second)), codeAt(t, at.Add(-30*time.Second))}), 0,
			[]string{"Code accepted.", "used already"}, ""},
		{"three wrong codes",
			answers(enrolAs(pw), []string{wrong, "111111", "222222"}), 1,
			[]string{"Try again (1 left)."}, "quickstart: login refused: 3 wrong codes\n"},
		{"the input ends early",
			[]string{pw, pw, "alice"}, 1,
			nil, "quickstart: stopped: the input ended before the walkthrough did\n"},
		{"replay step: the next code is new, so accepted; then it is refused",
			answers(enrolAs(pw), []string{right, next, next}), 0,
			[]string{"Code accepted: that is a new code", "Type it once more", "Code refused: it was used already", "Done:"}, ""},
		{"replay step: a wrong code, then the used one",
			answers(enrolAs(pw), []string{right, wrong, right}), 0,
			[]string{"Code refused: wrong code. To see replay protection, type " + right + ".", "Code refused: it was used already", "Done:"}, ""},
		{"replay step: never the used code",
			answers(enrolAs(pw), []string{right, wrong, wrong, wrong}), 1,
			[]string{"Code refused: wrong code."}, "quickstart: replay protection not shown: " + right + " was not typed again\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := drive(t, nil, tt.answers...)
			assert.Equal(t, tt.exit, r.exit, r.stdout+r.stderr)
			for _, s := range tt.says {
				assert.Contains(t, r.stdout, s)
			}
			assert.Equal(t, tt.errs, r.stderr)
			if tt.exit != 0 {
				assert.NotContains(t, r.stdout, "Done")
			}
		})
	}
}

// The replayed code, typed after its time and grace are over, no longer
// matches at all: the walkthrough says so instead of calling it replayed.
func TestQuickstartReplayAfterExpiry(t *testing.T) {
	t.Parallel()
	right := codeAt(t, at)
	// Each code read asks the time twice (the seconds left, then Verify):
	// the replay's code, read third, comes two minutes later.
	calls := 0
	later := func() time.Time {
		calls++
		if calls > 2 {
			return at.Add(2 * time.Minute)
		}
		return at
	}
	in := strings.NewReader(strings.Join(answers(enrolAs("pw"), []string{right, right}), "\n") + "\n")
	r := runWith(t, []string{"-secret", testSecret, "-png", filepath.Join(t.TempDir(), "qr.png")}, in, later)
	assert.Equal(t, 0, r.exit, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "Code refused: "+right+" has expired (its 30s and one step of grace are over)")
	assert.NotContains(t, r.stdout, "ErrReplayed")
}

// Codes as phones show and paste them are taken; answers that cannot be a
// code get a hint and do not use up a try.
func TestQuickstartCodeAsTyped(t *testing.T) {
	t.Parallel()
	right := codeAt(t, at)
	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, right)
	arabicIndic := strings.Map(func(r rune) rune { return r - '0' + '٠' }, right)
	tests := []struct {
		name  string
		typed []string // before the code is accepted
		says  []string
	}{
		{"grouped with a space", []string{right[:3] + " " + right[3:]}, nil},
		{"grouped with a tab", []string{right[:3] + "\t" + right[3:]}, nil},
		{"with a no-break space", []string{right[:3] + "\u00a0" + right[3:]}, nil},
		{"with a narrow no-break space and trailing spaces", []string{" " + right[:3] + "\u202f" + right[3:] + "  "}, nil},
		{"in full-width digits", []string{fullWidth}, nil},
		{"in Arabic-Indic digits", []string{arabicIndic}, nil},
		{"empty, then too short, then a letter, then wrong twice, then right",
			[]string{"", "12345", right[:5] + "O", "000000", "111111", right},
			[]string{
				"Not checked: no code typed: type the 6 digits the app shows.",
				"Not checked: that is 5 digits, and the app shows 6.",
				"Not checked: character 6, 'O' (U+004F), is not a digit: type only the 6 digits the app shows.",
				"Code refused: wrong code. Try again (2 left).",
				"Code refused: wrong code. Try again (1 left).",
				"Code accepted."}},
		{"a zero-width space is named, not dropped", []string{right[:3] + "\u200b" + right[3:], right},
			[]string{`character 4, '\u200b' (U+200B), is not a digit`}},
		{"a hyphen is refused", []string{right[:3] + "-" + right[3:], right},
			[]string{"character 4, '-' (U+002D), is not a digit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := drive(t, nil, answers(enrolAs("pw"), tt.typed, []string{right})...)
			assert.Equal(t, 0, r.exit, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, "Code accepted.")
			assert.Contains(t, r.stdout, "Code refused: it was used already")
			for _, s := range tt.says {
				assert.Contains(t, r.stdout, s)
			}
		})
	}
}

func TestQuickstartShowsEnrolment(t *testing.T) {
	t.Parallel()
	pngPath := filepath.Join(t.TempDir(), "qr.png")
	r := drive(t, []string{"-secret", testSecret, "-png", pngPath}, answers(enrolAs("pw"), []string{codeAt(t, at), codeAt(t, at)})...)
	require.Equal(t, 0, r.exit, r.stderr)
	assert.Contains(t, r.stdout, "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", "the secret, grouped for reading")
	assert.Contains(t, r.stdout, "otpauth://totp/Example%20Corp:alice?secret="+testSecret+"&issuer=Example%20Corp")
	assert.Contains(t, r.stdout, "████", "the QR code in half blocks")
	assert.Contains(t, r.stdout, "changes in 1s", "the time left for the current code")
	assert.Contains(t, r.stdout, "The QR code is also in "+pngPath+" (readable only by you; kept).")

	data, err := os.ReadFile(pngPath)
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(data))
	assert.NoError(t, err)
}

// The terminal QR code says which background it is drawn for and how to
// get the other, right below it.
func TestQuickstartLightBackground(t *testing.T) {
	t.Parallel()
	pass := answers(enrolAs("pw"), []string{codeAt(t, at), codeAt(t, at)})
	dark := drive(t, []string{"-secret", testSecret}, pass...)
	light := drive(t, []string{"-secret", testSecret, "-light"}, pass...)
	require.Equal(t, 0, dark.exit, dark.stderr)
	require.Equal(t, 0, light.exit, light.stderr)
	// The quiet zone is inked on a dark background and blank on a light one.
	assert.Contains(t, dark.stdout, "\n"+strings.Repeat("█", 10))
	assert.NotContains(t, light.stdout, strings.Repeat("█", 10))
	assert.Contains(t, light.stdout, "\n"+strings.Repeat(" ", 10))

	assert.Regexp(t, "[█▀▄ ]\n\\(Drawn for a dark terminal background. If yours is light and the code does not scan, run again with -light.\\)\n", dark.stdout)
	assert.Regexp(t, "\n\\(Drawn for a light terminal background, as -light asks. On a dark one, run again without -light.\\)\n", light.stdout)
}

// The program prints the command that runs it again with the same key, and
// that command does: the app's entry keeps working.
func TestQuickstartRerunCommand(t *testing.T) {
	t.Parallel()
	pass := answers(enrolAs("pw"), []string{codeAt(t, at)})
	first := drive(t, []string{"-account", "Zoë O'Neil", "-issuer", "ACME"}, pass...)
	cmd := regexp.MustCompile(`\n    (go run \./examples/quickstart .*)\n`).FindStringSubmatch(first.stdout)
	require.NotNil(t, cmd, first.stdout)
	uri := regexp.MustCompile(`Key URI: (\S+)`).FindStringSubmatch(first.stdout)
	require.NotNil(t, uri)
	key, err := otp.ParseURI(uri[1])
	require.NoError(t, err)
	assert.Equal(t, "go run ./examples/quickstart -secret "+otp.EncodeSecret(key.Secret)+` -issuer ACME -account 'Zoë O'\''Neil'`, cmd[1])

	again := drive(t, []string{"-secret", otp.EncodeSecret(key.Secret), "-issuer", "ACME", "-account", "Zoë O'Neil"}, pass...)
	assert.Contains(t, again.stdout, "Key URI: "+uri[1]+"\n")
}

func TestQuickstartPNGFile(t *testing.T) {
	t.Parallel()
	pass := answers(enrolAs("pw"), []string{codeAt(t, at), codeAt(t, at)})
	t.Run("a new file, mode 0600", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "qr.png")
		r := drive(t, []string{"-png", path}, pass...)
		require.Equal(t, 0, r.exit, r.stderr)
		assertPrivatePNG(t, path)
	})
	t.Run("an existing file readable by others is replaced, not rewritten", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "qr.png")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
		require.NoError(t, os.Chmod(path, 0o644))
		other, err := os.Open(path) // someone who opened it before
		require.NoError(t, err)
		defer other.Close()
		r := drive(t, []string{"-png", path}, pass...)
		require.Equal(t, 0, r.exit, r.stderr)
		assertPrivatePNG(t, path)
		seen, err := io.ReadAll(other)
		require.NoError(t, err)
		assert.Equal(t, "old", string(seen), "the secret went into the old file")
	})
	t.Run("a planted link is replaced, not followed", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		victim, path := filepath.Join(dir, "planted"), filepath.Join(dir, "qr.png")
		require.NoError(t, os.WriteFile(victim, nil, 0o666))
		require.NoError(t, os.Symlink(victim, path))
		r := drive(t, []string{"-png", path}, pass...)
		require.Equal(t, 0, r.exit, r.stderr)
		assertPrivatePNG(t, path)
		data, err := os.ReadFile(victim)
		require.NoError(t, err)
		assert.Empty(t, data, "the secret went through the link")
	})
	t.Run("other files in the directory, dot-files and a socket too, are left alone", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, ".X11-unix"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".qr.png"), []byte("someone's"), 0o600))
		sock, err := net.Listen("unix", filepath.Join(dir, ".s.PGSQL.5432"))
		require.NoError(t, err)
		defer sock.Close()
		path := filepath.Join(dir, "qr.png")
		r := drive(t, []string{"-png", path}, pass...)
		require.Equal(t, 0, r.exit, r.stderr)
		assertPrivatePNG(t, path)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.ElementsMatch(t, []string{".X11-unix", ".qr.png", ".s.PGSQL.5432", "qr.png"}, names)
	})
	t.Run("a path that cannot be written fails before the secret is shown", func(t *testing.T) {
		t.Parallel()
		r := drive(t, []string{"-png", filepath.Join(t.TempDir(), "no", "such", "dir", "x.png")}, pass...)
		assert.Equal(t, 1, r.exit)
		assert.Empty(t, r.stdout)
		assert.Regexp(t, `^quickstart: cannot write \S+/no/such/dir/x.png: no such file or directory\n$`, r.stderr)
	})
	t.Run("without -png, a new private file whose path is shown, removed at exit", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		var during os.FileInfo
		// Look at the file when the program first waits for an answer.
		in := &onFirstRead{r: strings.NewReader(strings.Join(pass, "\n") + "\n"), fn: func() {
			m := regexp.MustCompile(`The QR code is also in (\S+) \(readable only by you; removed when this program ends\)`).FindStringSubmatch(stdout.String())
			require.NotNil(t, m, stdout.String())
			assertPrivatePNG(t, m[1])
			var err error
			during, err = os.Stat(m[1])
			require.NoError(t, err)
			t.Cleanup(func() {
				_, err := os.Stat(m[1])
				assert.ErrorIs(t, err, os.ErrNotExist, "the file outlived the program")
			})
		}}
		require.Equal(t, 0, run([]string{"-secret", testSecret}, in, &stdout, &stderr, func() time.Time { return at }), stderr.String())
		assert.NotNil(t, during)
	})
}

func assertPrivatePNG(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "not a regular file: %v", fi.Mode())
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(data))
	assert.NoError(t, err)
	// Only the names of WritePrivateFile's own temporary files: the
	// directory may hold anyone's dot-files (/tmp/.X11-unix, a
	// PostgreSQL socket).
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	own := "." + filepath.Base(path) + "."
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), own), "a temporary file was left: %s", e.Name())
	}
}

// onFirstRead calls fn before the first read from r.
type onFirstRead struct {
	r  io.Reader
	fn func()
}

func (o *onFirstRead) Read(p []byte) (int, error) {
	if o.fn != nil {
		o.fn()
		o.fn = nil
	}
	return o.r.Read(p)
}

func TestQuickstartArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		exit int
		errs string
	}{
		{"an extra argument", []string{"alice"}, 2, "unexpected argument \"alice\": this program takes flags only\nUsage: go run ./examples/quickstart"},
		{"an unknown flag", []string{"-password", "x"}, 2, "flag provided but not defined: -password"},
		{"help", []string{"-h"}, 0, "Usage: go run ./examples/quickstart"},
		{"a bad secret", []string{"-secret", "not base32!"}, 1, "quickstart: otp: invalid secret"},
		{"a bad account", []string{"-account", ""}, 1, "quickstart: otp: invalid Account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := drive(t, tt.args)
			assert.Equal(t, tt.exit, r.exit)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tt.errs)
		})
	}
}
