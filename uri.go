package otp

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Key is what an otpauth:// key URI carries (Google's Key URI Format): the
// secret and settings an authenticator app needs, and the names it shows.
//
// Make one with [GenerateKey] or [GenerateHOTPKey], or read one with
// [ParseURI]. A Key built by hand can hold what no app reads; [Key.Validate]
// says so, and [Key.QR] refuses it.
type Key struct {
	Type    KeyType // TypeTOTP (the zero value) or TypeHOTP
	Issuer  string  // the service, such as "Example Corp"; may be empty
	Account string  // the user, such as "alice@example.com"
	// Secret is the raw key, not its base32 text: decode a typed or pasted
	// secret with [DecodeSecret], and show one to people with
	// [FormatSecret].
	Secret    []byte
	Algorithm Algorithm
	Digits    int // the format's length when zero: DefaultDigits, or 5 for Steam
	// Format is Decimal (the zero value) or Steam, for a Steam Guard
	// account: see [ParseURI] for the key URIs that mean Steam.
	Format  CodeFormat
	Period  time.Duration // totp; 30s when zero
	Counter uint64        // hotp: the initial counter
	// Extra holds the parameters the package does not interpret, such as
	// FreeOTP's image, color and lock, so that they survive a round trip.
	// Its values are untrusted input, kept verbatim from whoever made the
	// URI: an application must check them before use, such as an image
	// URL before showing it (ParseURI keeps image=javascript:... as it
	// came), and never put them unescaped into a page.
	Extra url.Values
}

// KeyType is the kind of code a key makes.
type KeyType int

const (
	TypeTOTP KeyType = iota // time-based (RFC 6238): the zero value, and every app's default
	TypeHOTP                // counter-based (RFC 4226)
)

var keyTypeNames = [...]string{TypeTOTP: "totp", TypeHOTP: "hotp"}

// String returns "totp" or "hotp", the spelling of key URIs.
func (t KeyType) String() string {
	if t >= 0 && int(t) < len(keyTypeNames) {
		return keyTypeNames[t]
	}
	return "KeyType(" + strconv.Itoa(int(t)) + ")"
}

// MaxURILength bounds what ParseURI reads: more than any QR code holds.
const MaxURILength = 4096

// ErrInvalidURI is wrapped by every [URIError].
var ErrInvalidURI = errors.New("otp: invalid key URI")

// URIError reports which part of a key URI is wrong. Like [url.Error] it
// carries context, but never the URI itself or the secret in it.
type URIError struct {
	Part   string // "scheme", "type", "label", or a parameter name such as "digits"
	Reason string
	Err    error // the underlying error, such as a *SecretError; may be nil
}

func (e *URIError) Error() string {
	return "otp: invalid key URI: " + e.Part + ": " + e.Reason
}

// Unwrap returns [ErrInvalidURI] and the underlying error, so that
// errors.Is matches either.
func (e *URIError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidURI}
	}
	return []error{ErrInvalidURI, e.Err}
}

func uriError(part, reason string) error { return &URIError{Part: part, Reason: reason} }

// GenerateKey returns a new TOTP key for issuer and account with a fresh
// 160-bit secret and the settings every authenticator app supports: SHA1,
// 6 digits, 30-second steps. The account must not be empty or start with a
// space; the issuer must not hold a colon, which Google's Key URI Format
// forbids there because it separates the issuer from the account in the
// label; and neither name may hold control or invisible characters. An
// error is a [*ConfigError] naming Issuer or Account.
func GenerateKey(issuer, account string) (*Key, error) {
	return generateKey(TypeTOTP, issuer, account)
}

// GenerateHOTPKey is [GenerateKey] for a counter-based key: SHA1, 6 digits,
// and an initial counter of 0, which the server stores as the counter it
// expects next (see the Guard of package
// [github.com/otpkit/otp/guard]).
func GenerateHOTPKey(issuer, account string) (*Key, error) {
	return generateKey(TypeHOTP, issuer, account)
}

func generateKey(typ KeyType, issuer, account string) (*Key, error) {
	if strings.Contains(issuer, ":") {
		return nil, &ConfigError{Field: "Issuer", Reason: "holds a colon, the separator of issuer and account"}
	}
	secret, err := GenerateSecret(DefaultSecretSize)
	if err != nil {
		return nil, err
	}
	k := &Key{Type: typ, Issuer: issuer, Account: account, Secret: secret, Digits: DefaultDigits}
	if typ == TypeTOTP {
		k.Period = DefaultPeriod
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return k, nil
}

// Validate reports whether k is a key that authenticator apps can be
// enrolled with: one whose URI [ParseURI] reads back as k, the zero Digits
// and Period filled in. Otherwise it returns a [*ConfigError] naming the
// first field that is wrong ("Key" when the URI would be longer than
// [MaxURILength]).
//
// It refuses what ParseURI refuses: a Type other than TypeTOTP and TypeHOTP;
// a secret shorter than 80 bits; an empty account, or one starting with a
// space; names with control or invisible characters; an unknown Algorithm
// or Format; Digits outside 6..10 for Decimal (0 means 6) or other than 5
// for Steam (0 means 5); a TOTP Period that is not a whole number of
// seconds or is longer than [MaxPeriod] (0 means 30s); an HOTP Counter of
// 2^64-1, whose code can never verify (see [HOTP.Verify]); and an Extra
// parameter that ParseURI would read as the other type's (period on HOTP,
// counter on TOTP) given more than once. [Key.QR] and [MigrationURIs] refuse the same keys.
func (k *Key) Validate() error {
	if k.Type != TypeTOTP && k.Type != TypeHOTP {
		return &ConfigError{Field: "Type", Reason: k.Type.String() + " is neither TypeTOTP nor TypeHOTP"}
	}
	if len(k.Secret) == 0 {
		return &ConfigError{Field: "Secret", Reason: "empty"}
	}
	if err := checkKeySecret(k.Secret); err != nil {
		return &ConfigError{Field: "Secret", Reason: err.Reason}
	}
	if err := checkNames(k.Issuer, k.Account); err != nil {
		return err
	}
	if _, err := checkParams(k.Secret, k.Algorithm, k.Format, k.Digits); err != nil {
		return err
	}
	if k.Type == TypeTOTP {
		if err := checkPeriod(periodOrDefault(k.Period)); err != nil {
			return err
		}
	}
	if k.Type == TypeHOTP {
		if err := checkCounter(k.Counter); err != nil {
			return err
		}
	}
	if err := k.checkExtra(); err != nil {
		return err
	}
	if n := k.uriLength(); n > MaxURILength {
		return &ConfigError{Field: "Key", Reason: "its URI is " + strconv.Itoa(n) + " bytes, longer than MaxURILength (" + strconv.Itoa(MaxURILength) + ")"}
	}
	return nil
}

// checkCounter refuses an HOTP key's counter of 2^64-1. Its code could
// never verify: HOTP.Verify accepts a counter only if the counter after it,
// which the server stores, exists, and 2^64 does not (no counter wraps, or
// every code of the key could be replayed). Enrolling such a key would leave
// its owner with a token that never works, so it is refused instead.
func checkCounter(counter uint64) *ConfigError {
	if counter == math.MaxUint64 {
		return &ConfigError{Field: "Counter", Reason: "2^64-1 is past the last usable counter: its code can never verify, since the counter after it would wrap"}
	}
	return nil
}

// checkNames is the rule for a key's names, shared by GenerateKey,
// Validate, ParseURI and exports. Its error names Issuer or Account.
func checkNames(issuer, account string) *ConfigError {
	if err := checkName(issuer); err != nil {
		return &ConfigError{Field: "Issuer", Reason: err.Error()}
	}
	switch {
	case account == "":
		return &ConfigError{Field: "Account", Reason: "empty"}
	case account[0] == ' ':
		return &ConfigError{Field: "Account", Reason: "starts with a space"} // which ParseURI drops
	}
	if err := checkName(account); err != nil {
		return &ConfigError{Field: "Account", Reason: err.Error()}
	}
	return nil
}

// checkExtra refuses an Extra parameter that URI writes and ParseURI would
// refuse: one that ParseURI knows for the other type (period on HOTP,
// counter on TOTP), given more than once in any mix of case. Names known
// to k's own type are left out by URI, so they do no harm.
func (k *Key) checkExtra() error {
	var seen map[string]int
	for name, values := range k.Extra {
		lower := strings.ToLower(name)
		if slices.Contains(knownParams[k.Type], lower) || !slices.Contains(allParams, lower) {
			continue
		}
		if seen == nil {
			seen = map[string]int{}
		}
		if seen[lower] += len(values); seen[lower] > 1 {
			return &ConfigError{Field: "Extra", Reason: "parameter " + strconv.Quote(lower) + " given more than once"}
		}
	}
	return nil
}

// TOTP returns the generator and verifier for k, with no skew.
func (k *Key) TOTP() TOTP {
	return TOTP{Secret: k.Secret, Algorithm: k.Algorithm, Digits: k.Digits, Format: k.Format, Period: k.Period}
}

// HOTP returns the generator and verifier for k, with no look-ahead.
func (k *Key) HOTP() HOTP {
	return HOTP{Secret: k.Secret, Algorithm: k.Algorithm, Digits: k.Digits, Format: k.Format}
}

// ParseURI parses an otpauth:// key URI, as Google's Key URI Format
// describes it and as real issuers write it.
//
// It is tolerant where that is harmless: the scheme and type in any case,
// ':' or "%3A" between issuer and account, spaces after it, raw spaces and
// UTF-8, lower-case, padded or grouped secrets, parameter names in any
// case. The issuer parameter, when present, wins over the label's prefix.
//
// Steam Guard accounts have keys of their own code format, [Steam], which
// three spellings mean: the parameter encoder=steam in any case
// (KeePassXC's, which also writes digits=5), the type "steam"
// (otpauth://steam/..., Aegis's), and the issuer "Steam", exactly, with
// neither encoder nor digits (SteamDesktopAuthenticator's): Steam accounts
// never use decimal codes, and a key that silently made them would give
// only codes Steam refuses. An encoder other than steam is an error, not
// decimal: its codes are ones the package cannot make. With Steam, digits
// may only be 5.
//
// It is strict where looseness is a risk: the secret is required; a
// present algorithm, digits, period or counter that is wrong is an error,
// never silently the default (a period longer than [MaxPeriod] and the
// counter 2^64-1, whose code never verifies, are wrong too); a known parameter given twice is an error;
// a fragment ('#') is an error, since other parsers end the query there;
// names with control characters, or with characters that show as nothing
// or break the line, are refused; and input longer than [MaxURILength] is
// refused before it is read. Parameters it does not know go to
// [Key.Extra].
//
// Every error is a [*URIError] that names the part that is wrong, and
// never contains the URI or the secret.
func ParseURI(uri string) (*Key, error) {
	if len(uri) > MaxURILength {
		return nil, uriError("uri", "longer than "+strconv.Itoa(MaxURILength)+" bytes")
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || !strings.EqualFold(scheme, "otpauth") {
		return nil, uriError("scheme", "not otpauth://")
	}
	if strings.Contains(rest, "#") {
		// Browsers, net/url and urllib end the query at '#'; a parser that
		// read on would see parameters they do not.
		return nil, uriError("fragment", "a key URI has none: a '#' in a name is written %23")
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	k := &Key{}
	switch strings.ToLower(rest[:end]) {
	case "totp":
	case "hotp":
		k.Type = TypeHOTP
	case "steam": // a TOTP key of Steam codes
		k.Format = Steam
	default:
		return nil, uriError("type", "not totp, hotp or steam")
	}
	if !strings.HasPrefix(rest[end:], "/") {
		return nil, uriError("label", "missing")
	}
	rest = rest[end+1:]
	rawLabel, rawQuery, _ := strings.Cut(rest, "?")
	label, err := url.PathUnescape(rawLabel) // '+' stays a plus
	if err != nil {
		return nil, uriError("label", "bad percent-encoding")
	}
	q, err := k.parseQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	if err := k.setNames(label, q.issuer); err != nil {
		return nil, err
	}
	if err := k.setDigits(q); err != nil {
		return nil, err
	}
	if n := k.uriLength(); n > MaxURILength {
		// Escaping can make a URI longer than the one read; refusing it
		// here keeps ParseURI(k.URI()) true for every k returned.
		return nil, uriError("uri", "longer than "+strconv.Itoa(MaxURILength)+" bytes once written as Key.URI writes it ("+strconv.Itoa(n)+")")
	}
	return k, nil
}

// minKeySecretSize is the shortest secret a key may carry: 80 bits, the
// least that issuers use (Google's own example key has 80). HOTP and TOTP
// compute codes for any non-empty secret, as the RFCs do, but a key URI or
// export with less is refused rather than enrolled.
const minKeySecretSize = 10

// checkKeySecret refuses a secret too short to enrol.
func checkKeySecret(secret []byte) *SecretError {
	if len(secret) < minKeySecretSize {
		return &SecretError{Reason: "shorter than 80 bits"}
	}
	return nil
}

// knownParams are the parameters ParseURI interprets for each type. The
// other type's parameter (period on hotp, counter on totp) goes to Extra.
var knownParams = map[KeyType][]string{
	TypeTOTP: {"secret", "issuer", "algorithm", "digits", "period", "encoder"},
	TypeHOTP: {"secret", "issuer", "algorithm", "digits", "counter", "encoder"},
}

// allParams are the parameters ParseURI knows for either type, each of
// which it refuses to see twice.
var allParams = []string{"secret", "issuer", "algorithm", "digits", "period", "counter", "encoder"}

// query holds what parseQuery leaves for after the label is read: the
// issuer parameter, and digits, whose rule depends on the code format,
// which the issuer can decide.
type query struct {
	issuer    string
	digits    string
	hasDigits bool
}

// parseQuery sets k's parameters from the query, but for digits, which it
// returns with the issuer parameter.
func (k *Key) parseQuery(rawQuery string) (q query, err error) {
	seen := map[string]bool{}
	var secret string
	for piece := range strings.SplitSeq(rawQuery, "&") {
		if piece == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(piece, "=")
		name, err1 := url.QueryUnescape(rawName)
		value, err2 := url.QueryUnescape(rawValue) // '+' is a space
		if err1 != nil || err2 != nil {
			return q, uriError("query", "bad percent-encoding")
		}
		lower := strings.ToLower(name)
		if slices.Contains(allParams, lower) {
			if seen[lower] {
				return q, uriError(lower, "given more than once")
			}
			seen[lower] = true
		}
		if !slices.Contains(knownParams[k.Type], lower) {
			if k.Extra == nil {
				k.Extra = url.Values{}
			}
			k.Extra[name] = append(k.Extra[name], value)
			continue
		}
		switch lower {
		case "secret":
			secret = value
		case "issuer":
			q.issuer = value
		case "digits":
			q.digits, q.hasDigits = value, true
		default:
			if err := k.setParam(lower, value); err != nil {
				return q, err
			}
		}
	}
	if secret == "" {
		return q, uriError("secret", "missing")
	}
	if k.Secret, err = DecodeSecret(secret); err != nil {
		return q, &URIError{Part: "secret", Reason: "not base32", Err: err}
	}
	if err := checkKeySecret(k.Secret); err != nil {
		return q, &URIError{Part: "secret", Reason: err.Reason, Err: err}
	}
	if k.Type == TypeTOTP {
		k.Period = periodOrDefault(k.Period)
	}
	return q, nil
}

// setParam sets algorithm, encoder, period or counter from its value.
func (k *Key) setParam(name, value string) error {
	var err error
	switch name {
	case "algorithm":
		if k.Algorithm, err = ParseAlgorithm(value); err != nil {
			return uriError(name, "not SHA1, SHA256 or SHA512")
		}
	case "encoder":
		format, ok := formatOfEncoder(value)
		if !ok {
			// Its codes are not decimal, and not ones this package makes.
			return uriError(name, `unknown: only "steam" is supported`)
		}
		k.Format = format
	case "period":
		n, ok := parseDecimal(value)
		if !ok {
			return uriError(name, "not a positive whole number of seconds")
		}
		var perr *ConfigError
		if k.Period, perr = periodOfSeconds(n); perr != nil {
			return uriError(name, perr.Reason)
		}
	case "counter":
		n, ok := parseDecimal(value)
		if !ok {
			return uriError(name, "not a whole number from 0 to 2^64-2")
		}
		if err := checkCounter(n); err != nil {
			return uriError(name, err.Reason)
		}
		k.Counter = n
	}
	return nil
}

// parseDecimal parses ASCII digits only: no sign, no space, no fraction,
// and nothing that overflows 64 bits.
func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// steamIssuer is the issuer of Steam's own accounts, which never use
// decimal codes: a key URI that names it and neither encoder nor digits is
// a Steam key, and [Key.URI] writes digits for a decimal key of it.
const steamIssuer = "Steam"

// setDigits settles the code format, which the issuer can decide, and
// reads digits by its rule.
func (k *Key) setDigits(q query) error {
	if !q.hasDigits {
		if k.Issuer == steamIssuer {
			k.Format = Steam // the key URIs of Steam's own accounts may say nothing else
		}
		k.Digits = digitsOrDefault(k.Format, 0)
		return nil
	}
	c := &formats[k.Format]
	n, ok := parseDecimal(q.digits)
	if !ok || checkDigits(c, int(min(n, 99))) != nil {
		if c.minDigits == c.maxDigits {
			return uriError("digits", "not "+c.lengths())
		}
		return uriError("digits", "not a whole number from "+strconv.Itoa(c.minDigits)+" to "+strconv.Itoa(c.maxDigits))
	}
	k.Digits = int(n)
	return nil
}

// setNames splits the label into issuer and account. The issuer parameter,
// when present, is the issuer: a label that starts with it and a separator
// loses that prefix, and any other label loses whatever precedes its first
// separator. Without the parameter, the label's prefix is the issuer.
func (k *Key) setNames(label, issuerParam string) error {
	prefix, account, hasPrefix := strings.Cut(label, ":")
	if !hasPrefix {
		account = label
	}
	switch {
	case issuerParam != "":
		k.Issuer = issuerParam
		if after, ok := strings.CutPrefix(label, issuerParam+":"); ok {
			account = after
		}
	case hasPrefix:
		k.Issuer = prefix
	}
	k.Account = strings.TrimLeft(account, " ")
	if err := checkNames(k.Issuer, k.Account); err != nil {
		part := "label"
		if err.Field == "Issuer" {
			part = "issuer"
		}
		return uriError(part, err.Reason)
	}
	return nil
}

// checkName refuses what no issuer or account name needs and what can make
// one name display as another: invalid UTF-8, control characters, and
// characters that show as nothing or break the line. Those are the format
// characters (Unicode category Cf: zero-width spaces and joiners, bidi
// marks and overrides, the soft hyphen, tag characters), the line and
// paragraph separators, the other default-ignorable code points (the
// combining grapheme joiner, the Hangul fillers) and variation selectors.
// Only emoji keep their joiners: a zero-width joiner between two symbols
// and a variation selector after one, as in "👩‍💻" and "❤️".
func checkName(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	prev := rune(-1)
	for i, r := range s {
		if unicode.IsControl(r) {
			return errors.New("holds a control character")
		}
		if r >= utf8.RuneSelf && invisible(r) && !inEmoji(r, prev, s[i+utf8.RuneLen(r):]) { // no ASCII character is invisible
			return fmt.Errorf("holds the invisible or line-breaking character %U", r)
		}
		prev = r
	}
	return nil
}

// invisible reports whether r shows as nothing, or as a line break.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

const (
	zeroWidthJoiner = '\u200d'
	textStyle       = '\ufe0e' // variation selector 15
	emojiStyle      = '\ufe0f' // variation selector 16
)

// inEmoji reports whether the invisible r, after prev and before rest, is
// part of an emoji sequence: a zero-width joiner between two symbols (an
// emoji style selector or a skin tone may come before it), or a style
// selector right after a symbol.
func inEmoji(r, prev rune, rest string) bool {
	switch r {
	case zeroWidthJoiner:
		next, size := utf8.DecodeRuneInString(rest)
		return (unicode.IsSymbol(prev) || prev == emojiStyle) && size > 0 && unicode.IsSymbol(next)
	case textStyle, emojiStyle:
		return unicode.IsSymbol(prev)
	}
	return false
}

// URI returns k as an otpauth:// key URI that every authenticator app reads:
// the label "issuer:account" with a literal ':' (just "account" without an
// issuer, unless the account holds a colon), then the secret, the
// issuer, only the settings that differ from the defaults, the counter for
// hotp, and Extra in sorted order. A Steam key is of type totp (or hotp)
// with encoder=steam, as KeePassXC writes it; a decimal key of the issuer
// "Steam" has digits written even when 6, which ParseURI would otherwise
// read as Steam codes. Everything outside RFC 3986's unreserved
// characters is percent-encoded; a space is "%20", never '+', which some
// apps would show as a plus.
func (k *Key) URI() string {
	var b strings.Builder
	b.Grow(64 + len(k.Issuer)*6 + len(k.Account)*3 + len(k.Secret)*8/5)
	k.writeURI(&uriWriter{b: &b})
	return b.String()
}

// uriLength returns len(k.URI()) without building it.
func (k *Key) uriLength() int {
	w := uriWriter{}
	k.writeURI(&w)
	return w.n
}

func (k *Key) writeURI(w *uriWriter) {
	w.raw("otpauth://")
	w.escape(k.Type.String())
	w.raw("/")
	if k.Issuer != "" || strings.Contains(k.Account, ":") {
		// An empty issuer before the separator keeps a colon in the
		// account from being read as one.
		w.escape(k.Issuer)
		w.raw(":")
	}
	w.escape(k.Account)
	w.raw("?secret=")
	w.secret(k.Secret)
	if k.Issuer != "" {
		w.raw("&issuer=")
		w.escape(k.Issuer)
	}
	if k.Algorithm != SHA1 {
		w.raw("&algorithm=")
		w.escape(k.Algorithm.String())
	}
	digits := digitsOrDefault(k.Format, k.Digits)
	if digits != digitsOrDefault(k.Format, 0) || k.Format == Decimal && k.Issuer == steamIssuer {
		w.raw("&digits=")
		w.decimal(int64(digits))
	}
	if k.Type == TypeTOTP && periodOrDefault(k.Period) != DefaultPeriod {
		w.raw("&period=")
		w.decimal(int64(k.Period / time.Second))
	}
	if enc := k.Format.encoderName(); enc != "" {
		w.raw("&encoder=")
		w.escape(enc)
	}
	if k.Type == TypeHOTP {
		w.raw("&counter=")
		w.udecimal(k.Counter)
	}
	k.writeExtra(w)
}

// writeExtra appends Extra in sorted order, leaving out any name that would
// repeat a parameter URI has written.
func (k *Key) writeExtra(w *uriWriter) {
	if len(k.Extra) == 0 {
		return // and sort nothing
	}
	known := knownParams[k.Type]
	if known == nil {
		known = allParams // an unknown type, which ParseURI refuses anyway
	}
	for _, name := range slices.Sorted(maps.Keys(k.Extra)) {
		if slices.Contains(known, strings.ToLower(name)) {
			continue
		}
		for _, v := range k.Extra[name] {
			w.raw("&")
			w.escape(name)
			w.raw("=")
			w.escape(v)
		}
	}
}

// uriWriter writes a key URI into b, or with b nil only counts its length,
// so that ParseURI can measure a URI without building it.
type uriWriter struct {
	b *strings.Builder
	n int
}

func (w *uriWriter) raw(s string) {
	w.n += len(s)
	if w.b != nil {
		w.b.WriteString(s)
	}
}

func (w *uriWriter) decimal(v int64)   { w.digits(strconv.AppendInt(make([]byte, 0, 20), v, 10)) }
func (w *uriWriter) udecimal(v uint64) { w.digits(strconv.AppendUint(make([]byte, 0, 20), v, 10)) }

func (w *uriWriter) digits(d []byte) {
	w.n += len(d)
	if w.b != nil {
		w.b.Write(d)
	}
}

func (w *uriWriter) secret(secret []byte) {
	if w.b == nil {
		w.n += rawBase32.EncodedLen(len(secret))
		return
	}
	w.raw(EncodeSecret(secret))
}

// escape writes s with every byte outside RFC 3986's unreserved set
// (ALPHA, DIGIT, '-', '.', '_', '~') percent-encoded.
func (w *uriWriter) escape(s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			w.n++
			if w.b != nil {
				w.b.WriteByte(c)
			}
			continue
		}
		w.n += 3
		if w.b != nil {
			w.b.WriteByte('%')
			w.b.WriteByte(hex[c>>4])
			w.b.WriteByte(hex[c&0x0f])
		}
	}
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
