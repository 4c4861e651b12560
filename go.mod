module github.com/otpkit/otp

go 1.26.0

// The library: the standard library and this QR encoder, nothing else.
require rsc.io/qr v0.2.0

// Tests only.
require github.com/stretchr/testify v1.12.1

// The terminal examples only: a password typed without echo, and the
// terminal's echo flag, which Ctrl-D needs (see examples/internal/cli).
require (
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

// The terminal examples' tests only: running them on a pseudo-terminal.
require github.com/creack/pty v1.1.24

require go.yaml.in/yaml/v3 v3.0.5 // indirect
