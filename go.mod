module github.com/otpkit/otp

go 1.26.0

// The library: the standard library and this QR encoder, nothing else.
require rsc.io/qr v0.2.0

// Tests only.
require github.com/stretchr/testify v1.12.1

// examples/quickstart only: reading a password without echo.
require golang.org/x/term v0.48.0

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
