module github.com/otpkit/otp/benchmarks

go 1.26.0

require (
	github.com/otpkit/otp v0.0.0
	github.com/pquerna/otp v1.5.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/boombuler/barcode v1.0.1-0.20190219062509-6c824513bacc // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	rsc.io/qr v0.2.0 // indirect
)

replace github.com/otpkit/otp => ../
