module github.com/otpkit/otp/examples

go 1.26.0

require (
	github.com/otpkit/otp v0.0.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/text v0.41.0
)

require (
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.24.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
	rsc.io/qr v0.2.0 // indirect
)

// The web example: SQLite (pure Go) and PostgreSQL.
require (
	github.com/jackc/pgx/v5 v5.12.0
	modernc.org/sqlite v1.62.0
)

// The web example's tests: driving a real browser (Debian's chromium).
require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
)

// The terminal examples: a password typed without echo, and the terminal's
// echo flag, which Ctrl-D needs (see internal/cli); their tests run them on
// a pseudo-terminal.
require (
	github.com/creack/pty v1.1.24
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

replace github.com/otpkit/otp => ../
