package cli_test

import (
	"fmt"

	"github.com/otpkit/otp/examples/internal/cli"
)

func ExampleNormalizeCode() {
	for _, typed := range []string{"123 456", "１２３４５６", "12345", "12345O"} {
		code, err := cli.NormalizeCode(typed, 6)
		if err != nil {
			fmt.Println("hint:", err)
			continue
		}
		fmt.Println(code)
	}
	// Output:
	// 123456
	// 123456
	// hint: that is 5 digits, and the app shows 6
	// hint: character 6, 'O' (U+004F), is not a digit: type only the 6 digits the app shows
}
