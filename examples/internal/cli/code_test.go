package cli

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typed string
		digits      int
		want        string // "" when refused
		hint        string
	}{
		{"plain", "123456", 6, "123456", ""},
		{"grouped as apps show it", "123 456", 6, "123456", ""},
		{"tab, no-break and narrow no-break spaces", "\t12\u00a034\u202f56 ", 6, "123456", ""},
		{"ideographic and em spaces", "\u3000123\u2003456", 6, "123456", ""},
		{"a line ending left by a paste", "123456\r\n", 6, "123456", ""},
		{"full-width digits", "１２３４５６", 6, "123456", ""},
		{"Arabic-Indic digits", "١٢٣٤٥٦", 6, "123456", ""},
		{"Extended Arabic-Indic (Persian) digits", "۱۲۳۴۵۶", 6, "123456", ""},
		{"Devanagari digits", "१२३४५६", 6, "123456", ""},
		{"mixed scripts, eight digits", "1２٣४5۶7８", 8, "12345678", ""},
		{"mathematical double-struck digits", "𝟙𝟚𝟛𝟜𝟝𝟞", 6, "123456", ""},
		{"empty", "", 6, "", "no code typed: type the 6 digits the app shows"},
		{"only spaces", " \t ", 6, "", "no code typed: type the 6 digits the app shows"},
		{"too short", "12345", 6, "", "that is 5 digits, and the app shows 6"},
		{"too long", "1234567", 6, "", "that is 7 digits, and the app shows 6"},
		{"a letter O for a zero", "12345O", 6, "", "character 6, 'O' (U+004F), is not a digit: type only the 6 digits the app shows"},
		{"a hyphen", "123-456", 6, "", "character 4, '-' (U+002D), is not a digit"},
		{"a sign", "+123456", 6, "", "character 1, '+' (U+002B), is not a digit"},
		{"a zero-width space", "123\u200b456", 6, "", `character 4, '\u200b' (U+200B), is not a digit`},
		{"a right-to-left override", "\u202e123456", 6, "", `character 1, '\u202e' (U+202E), is not a digit`},
		{"a superscript two", "1²3456", 6, "", "character 2, '²' (U+00B2), is not a digit"},
		{"a circled one", "①23456", 6, "", "character 1, '①' (U+2460), is not a digit"},
		{"invalid UTF-8", "123\xff456", 6, "", "(U+FFFD), is not a digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeCode(tt.typed, tt.digits)
			if tt.hint == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.Empty(t, got)
			assert.Contains(t, err.Error(), tt.hint)
		})
	}
}

// Every decimal digit Unicode knows maps to its value: each run of Nd code
// points is a whole number of 0-to-9 sequences, and the values count up.
func TestDigitValueCoversUnicode(t *testing.T) {
	t.Parallel()
	runs := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsDigit(r) || unicode.IsDigit(r-1) {
			continue
		}
		end := r
		for unicode.IsDigit(end + 1) {
			end++
		}
		require.Zero(t, (end-r+1)%10, "the digits from U+%04X to U+%04X are not whole runs of ten", r, end)
		for d := r; d <= end; d++ {
			require.Equal(t, int(d-r)%10, digitValue(d), "U+%04X", d)
		}
		runs++
		r = end
	}
	assert.Greater(t, runs, 50, "fewer digit sets than Unicode has")
	for _, c := range []struct {
		r    rune
		want int
	}{{'0', 0}, {'9', 9}, {'٣', 3}, {'７', 7}, {'𝟘', 0}, {'𝟡', 9}, {'𝟶', 0}, {'༩', 9}} {
		assert.Equal(t, c.want, digitValue(c.r), "%q", c.r)
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "１２３４５６", "١٢٣٤٥٦", "", "12345O", "\u202e123456", "\xff", "𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠"} {
		f.Add(s, 6)
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, typed string, digits int) {
		code, err := NormalizeCode(typed, digits)
		if err != nil {
			assert.Empty(t, code)
			return
		}
		// Only spaces were dropped and only digits changed form.
		assert.Len(t, code, digits)
		assert.Equal(t, strings.Trim(code, "0123456789"), "")
		var kept []rune
		for _, r := range typed {
			if !unicode.IsSpace(r) {
				require.True(t, unicode.IsDigit(r), "%q was taken", r)
				kept = append(kept, r)
			}
		}
		require.Len(t, kept, digits)
		for i, r := range kept {
			assert.Equal(t, int(code[i]-'0'), digitValue(r))
		}
		again, err := NormalizeCode(code, digits)
		assert.NoError(t, err)
		assert.Equal(t, code, again)
	})
}
