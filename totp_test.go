package otp

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfc6238 is RFC 6238 Appendix B, read from testdata/rfc6238.json. The
// SHA-256 and SHA-512 rows use 32- and 64-byte seeds (the RFC's reference
// code, not the 20-byte seed its table header suggests).
type rfc6238 struct {
	Source string `json:"source"`
	Digits int    `json:"digits"`
	Period int    `json:"period"`
	T0     int64  `json:"t0"`
	Cases  []struct {
		Time        int64  `json:"time"`
		Algorithm   string `json:"algorithm"`
		SecretASCII string `json:"secret_ascii"`
		Code        string `json:"code"`
	} `json:"cases"`
}

func TestTOTPRFC6238Vectors(t *testing.T) {
	t.Parallel()
	var v rfc6238
	loadJSON(t, "rfc6238.json", &v)
	require.Len(t, v.Cases, 18, v.Source)
	for _, c := range v.Cases {
		t.Run(c.Algorithm+"/"+strconv.FormatInt(c.Time, 10), func(t *testing.T) {
			alg, err := ParseAlgorithm(c.Algorithm)
			require.NoError(t, err)
			tp := TOTP{
				Secret:    []byte(c.SecretASCII),
				Algorithm: alg,
				Digits:    v.Digits,
				Period:    time.Duration(v.Period) * time.Second,
				Epoch:     time.Unix(v.T0, 0),
			}
			at := time.Unix(c.Time, 0)
			got, err := tp.Generate(at)
			require.NoError(t, err)
			assert.Equal(t, c.Code, got)

			next, err := tp.Verify(c.Code, at, 0)
			require.NoError(t, err)
			assert.Equal(t, uint64(c.Time/int64(v.Period))+1, next, "the step after the matched one")
		})
	}
}

// at1111111109 is a time of the RFC 6238 table, at step 37037036.
var at1111111109 = time.Unix(1111111109, 0)

func TestTOTPVerifyWindowAndReplay(t *testing.T) {
	t.Parallel()
	tp := TOTP{Secret: rfc4226Secret, Skew: 1}
	now := at1111111109
	const cur = 37037036
	code := func(step uint64) string { return mustHOTP(t, HOTP{Secret: rfc4226Secret}, step) }
	tests := []struct {
		name string
		code string
		next uint64 // what the caller passes: one past the last accepted step
		want uint64 // what Verify returns: one past the matched step
		err  error
	}{
		{"current step", code(cur), 0, cur + 1, nil},
		{"previous step", code(cur - 1), 0, cur, nil},
		{"next step", code(cur + 1), 0, cur + 2, nil},
		{"two behind", code(cur - 2), 0, 0, ErrInvalidCode},
		{"two ahead", code(cur + 2), 0, 0, ErrInvalidCode},
		{"replay of the same step", code(cur), cur + 1, 0, ErrReplayed},
		{"an older step after a newer one", code(cur - 1), cur + 1, 0, ErrReplayed},
		{"a newer step after an older one", code(cur + 1), cur + 1, cur + 2, nil},
		{"the step next names", code(cur), cur, cur + 1, nil},
		{"wrong code", "000000", 0, 0, ErrInvalidCode},
		{"eight digits for six", "00" + code(cur), 0, 0, ErrInvalidCode},
		{"spaces", code(cur)[:3] + " " + code(cur)[3:], 0, 0, ErrInvalidCode},
		{"negative", "-" + code(cur)[1:], 0, 0, ErrInvalidCode},
		{"non-ASCII digit", code(cur)[:5] + "٣", 0, 0, ErrInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tp.Verify(tt.code, now, tt.next)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assert.Equal(t, tt.next, got, "an error returns next unchanged")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestTOTPOneSidedWindow: LookBehind and LookAhead widen the window on one
// side only (pyotp #11): a slow typist's code from the step before is
// accepted without accepting codes from the future, or the reverse.
func TestTOTPOneSidedWindow(t *testing.T) {
	t.Parallel()
	const cur = 37037036
	code := func(step uint64) string { return mustHOTP(t, HOTP{Secret: rfc4226Secret}, step) }
	tests := []struct {
		name                string
		skew, behind, ahead int
		accepted, refused   []uint64
	}{
		{"zero values: the current step only", 0, 0, 0, []uint64{cur}, []uint64{cur - 1, cur + 1}},
		{"one step behind, none ahead", 0, 1, 0, []uint64{cur - 1, cur}, []uint64{cur - 2, cur + 1}},
		{"one step ahead, none behind", 0, 0, 1, []uint64{cur, cur + 1}, []uint64{cur - 1, cur + 2}},
		{"added to Skew", 1, 2, 0, []uint64{cur - 3, cur - 2, cur - 1, cur, cur + 1}, []uint64{cur - 4, cur + 2}},
		{"both sides", 0, 2, 1, []uint64{cur - 2, cur + 1}, []uint64{cur - 3, cur + 2}},
		{"the most on one side", 0, MaxWindow, 0, []uint64{cur - MaxWindow}, []uint64{cur - MaxWindow - 1, cur + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := TOTP{Secret: rfc4226Secret, Skew: tt.skew, LookBehind: tt.behind, LookAhead: tt.ahead}
			for _, step := range tt.accepted {
				got, err := tp.Verify(code(step), at1111111109, 0)
				require.NoError(t, err, "step %d", step)
				assert.Equal(t, step+1, got)
			}
			for _, step := range tt.refused {
				_, err := tp.Verify(code(step), at1111111109, 0)
				assert.ErrorIs(t, err, ErrInvalidCode, "step %d", step)
			}
		})
	}
}

func TestTOTPAcceptedOnce(t *testing.T) {
	t.Parallel()
	tp := TOTP{Secret: rfc4226Secret, Skew: 1}
	code, err := tp.Generate(at1111111109)
	require.NoError(t, err)
	var next uint64
	next, err = tp.Verify(code, at1111111109, next)
	require.NoError(t, err)
	// The same code, still inside the window 30 seconds later, is refused.
	next, err = tp.Verify(code, at1111111109.Add(30*time.Second), next)
	assert.ErrorIs(t, err, ErrReplayed)
	assert.Equal(t, uint64(37037037), next)
}

func TestTOTPSkewZero(t *testing.T) {
	t.Parallel()
	tp := TOTP{Secret: rfc4226Secret}
	prev, err := tp.Generate(at1111111109.Add(-30 * time.Second))
	require.NoError(t, err)
	_, err = tp.Verify(prev, at1111111109, 0)
	assert.ErrorIs(t, err, ErrInvalidCode)
}

func TestTOTPWindowStopsAtStepZero(t *testing.T) {
	t.Parallel()
	tp := TOTP{Secret: rfc4226Secret, Skew: 2}
	step0 := mustHOTP(t, HOTP{Secret: rfc4226Secret}, 0)
	step1 := mustHOTP(t, HOTP{Secret: rfc4226Secret}, 1)
	at := time.Unix(5, 0) // step 0: the window would reach -2 and -1

	next, err := tp.Verify(step0, at, 0)
	require.NoError(t, err, "step 0, the first Period, is a step like any other")
	assert.Equal(t, uint64(1), next)

	next, err = tp.Verify(step1, at, next)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), next)
	_, err = tp.Verify(step0, at, next)
	assert.ErrorIs(t, err, ErrReplayed)
}

func TestTOTPLatestMatchWins(t *testing.T) {
	t.Parallel()
	// At the step of a code's first occurrence, with the second inside the
	// window, Verify must return the later step.
	code, first, second := repeatedCode(t)
	next, err := TOTP{Secret: rfc4226Secret, Skew: MaxWindow}.Verify(code, time.Unix(int64(first)*30, 0), 0)
	require.NoError(t, err)
	assert.Equal(t, second+1, next)
}

func TestTOTPFarFuture(t *testing.T) {
	t.Parallel()
	// Steps past 2^32 and times past 2038 use the full 64-bit counter.
	h := HOTP{Secret: rfc4226Secret, Digits: 8}
	tests := []struct {
		name string
		at   time.Time
		step uint64
	}{
		{"after 2038", time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC), 2147483648 / 30},
		{"step 2^32", time.Unix(1<<32*30, 0), 1 << 32},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), 253402300799 / 30},
		{"year 292277026596", time.Unix(math.MaxInt64-62135596800, 0), (math.MaxInt64 - 62135596800) / 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := TOTP{Secret: rfc4226Secret, Digits: 8, Skew: 1}
			step, err := tp.Step(tt.at)
			require.NoError(t, err)
			assert.Equal(t, tt.step, step)
			code, err := tp.Generate(tt.at)
			require.NoError(t, err)
			assert.Equal(t, mustHOTP(t, h, tt.step), code)
			got, err := tp.Verify(code, tt.at, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.step+1, got)
		})
	}
}

func TestTOTPEpochAndPeriod(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 500_000_000, time.UTC)
	tp := TOTP{Secret: rfc4226Secret, Epoch: epoch, Period: 45 * time.Second}
	tests := []struct {
		name string
		at   time.Time
		step uint64
	}{
		{"at the epoch", epoch, 0},
		{"just before the first boundary", epoch.Add(45*time.Second - time.Nanosecond), 0},
		{"at the first boundary", epoch.Add(45 * time.Second), 1},
		{"a day later", epoch.Add(24 * time.Hour), 1920},
		{"in another zone", epoch.Add(90 * time.Second).In(time.FixedZone("X", 5*3600)), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := tp.Step(tt.at)
			require.NoError(t, err)
			assert.Equal(t, tt.step, step)
			code, err := tp.Generate(tt.at)
			require.NoError(t, err)
			assert.Equal(t, mustHOTP(t, HOTP{Secret: rfc4226Secret}, tt.step), code)
		})
	}
}

func TestTOTPRemaining(t *testing.T) {
	t.Parallel()
	tp := TOTP{Secret: rfc4226Secret}
	tests := []struct {
		at   time.Time
		want time.Duration
	}{
		{time.Unix(60, 0), 30 * time.Second},
		{time.Unix(89, 0), time.Second},
		{time.Unix(89, 750_000_000), 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.at.UTC().Format(time.RFC3339Nano), func(t *testing.T) {
			got, err := tp.Remaining(tt.at)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTOTPConfigErrors(t *testing.T) {
	t.Parallel()
	s := rfc4226Secret
	tests := []struct {
		name  string
		tp    TOTP
		at    time.Time
		field string
	}{
		{"empty secret", TOTP{}, at1111111109, "Secret"},
		{"digits 5", TOTP{Secret: s, Digits: 5}, at1111111109, "Digits"},
		{"digits 11", TOTP{Secret: s, Digits: 11}, at1111111109, "Digits"},
		{"unknown algorithm", TOTP{Secret: s, Algorithm: 9}, at1111111109, "Algorithm"},
		{"negative period", TOTP{Secret: s, Period: -30 * time.Second}, at1111111109, "Period"},
		{"sub-second period", TOTP{Secret: s, Period: 500 * time.Millisecond}, at1111111109, "Period"},
		{"fractional period", TOTP{Secret: s, Period: 30500 * time.Millisecond}, at1111111109, "Period"},
		{"nanosecond period", TOTP{Secret: s, Period: 1}, at1111111109, "Period"},
		{"period past MaxPeriod", TOTP{Secret: s, Period: MaxPeriod + time.Second}, at1111111109, "Period"},
		{"period of 292 years", TOTP{Secret: s, Period: 9223372036 * time.Second}, at1111111109, "Period"},
		{"negative skew", TOTP{Secret: s, Skew: -1}, at1111111109, "Skew"},
		{"unsafe skew", TOTP{Secret: s, Skew: MaxWindow + 1}, at1111111109, "Skew"},
		{"negative look-behind", TOTP{Secret: s, LookBehind: -1}, at1111111109, "LookBehind"},
		{"negative look-ahead", TOTP{Secret: s, LookAhead: -1}, at1111111109, "LookAhead"},
		{"unsafe look-behind", TOTP{Secret: s, LookBehind: MaxWindow + 1}, at1111111109, "LookBehind"},
		{"skew and look-behind above MaxWindow", TOTP{Secret: s, Skew: 60, LookBehind: 41}, at1111111109, "LookBehind"},
		{"skew and look-ahead above MaxWindow", TOTP{Secret: s, Skew: 1, LookAhead: MaxWindow}, at1111111109, "LookAhead"},
		{"a look-behind that would overflow with skew", TOTP{Secret: s, Skew: 1, LookBehind: math.MaxInt}, at1111111109, "LookBehind"},
		// The time given is wrong, not the Epoch field.
		{"time before the Unix epoch", TOTP{Secret: s}, time.Unix(-1, 0), "at"},
		{"time before a custom epoch", TOTP{Secret: s, Epoch: time.Unix(100, 1)}, time.Unix(100, 0), "at"},
		{"zero time", TOTP{Secret: s}, time.Time{}, "at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := tt.tp.Verify("123456", tt.at, 42)
			assertConfigError(t, err, tt.field)
			assert.Equal(t, uint64(42), step)
			if tt.field == "Skew" || tt.field == "LookBehind" || tt.field == "LookAhead" {
				return // only Verify has a window
			}
			_, err = tt.tp.Generate(tt.at)
			assertConfigError(t, err, tt.field)
			if tt.field != "Secret" && tt.field != "Digits" && tt.field != "Algorithm" {
				_, err = tt.tp.Step(tt.at)
				assertConfigError(t, err, tt.field)
				_, err = tt.tp.Remaining(tt.at)
				assertConfigError(t, err, tt.field)
			}
		})
	}
}
