module github.com/otpkit/otp

go 1.26.0

// The library: the standard library and this QR encoder, nothing else.
require rsc.io/qr v0.2.0

// Tests only.
require github.com/stretchr/testify v1.12.1

require go.yaml.in/yaml/v3 v3.0.5 // indirect
