package otp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Migration is one QR code of a Google Authenticator export (the app's
// "Transfer accounts" screen): its accounts, and its place in the batch of
// codes that the export shows one after another.
type Migration struct {
	Keys       []*Key
	Version    int   // the payload version; MigrationURIs writes 1
	BatchSize  int   // how many QR codes the export has
	BatchIndex int   // which of them this one is, from 0
	BatchID    int32 // the same in every code of one export, and random
}

// MaxMigrationBatch is the most QR codes one export may have. The app puts
// about ten accounts in each, so this is room for ten thousand accounts;
// ParseMigrationURI refuses a larger batch size, which only a crafted code
// can hold, so that a program counting the codes it has read (and the ones
// still missing) never does work or allocates in proportion to an
// attacker's number. MigrationURIs writes no more.
const MaxMigrationBatch = 1000

// DefaultMigrationBatch is how many keys MigrationURIs puts in each URI when
// asked for 0: as many as the app itself puts in each QR code.
const DefaultMigrationBatch = 10

// migrationVersion is the payload version MigrationURIs writes: the one of
// the app's first exports, which its later versions still import.
const migrationVersion = 1

// ErrInvalidMigration is wrapped by every [MigrationError].
//
// Exports are a concern of their own, apart from [ErrInvalidURI]: an
// application that reads both kinds of QR code needs to tell the user which
// kind was wrong, and a key refused by [MigrationURIs] is no URI at all.
var ErrInvalidMigration = errors.New("otp: invalid migration")

// MigrationError reports what part of a Google Authenticator export is
// wrong, or which key cannot be written into one. Like [URIError] it never
// holds the URI, its data or any secret.
type MigrationError struct {
	// Entry is the part that is wrong: "uri", "scheme", "host", "data",
	// "payload", a payload field such as "batch_id", an account of the
	// export such as "otp_parameters[2]", or keys given to MigrationURIs
	// such as "keys[3]" or, for a URI too long, "keys[10:20]".
	Entry string
	// Index is the position of the account or key that Entry names (the
	// first, for a range), from 0, or -1 when Entry names none.
	Index  int
	Reason string
	Err    error // the underlying error, such as a *ConfigError; may be nil
}

func (e *MigrationError) Error() string {
	return "otp: invalid migration: " + e.Entry + ": " + e.Reason
}

// Unwrap returns [ErrInvalidMigration] and the underlying error, so that
// errors.Is matches either.
func (e *MigrationError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidMigration}
	}
	return []error{ErrInvalidMigration, e.Err}
}

func migrationError(entry, reason string) error {
	return &MigrationError{Entry: entry, Index: -1, Reason: reason}
}

func entryError(list string, i int, reason string, err error) error {
	return &MigrationError{Entry: list + "[" + strconv.Itoa(i) + "]", Index: i, Reason: reason, Err: err}
}

// ParseMigrationURI reads one QR code of a Google Authenticator export,
// "otpauth-migration://offline?data=...", where data is a protobuf
// MigrationPayload in base64 (standard alphabet, with or without padding).
// A '+' in data is a plus, never a space: the app writes raw '+' and '/'.
//
// Each account becomes a [Key] as [ParseURI] would return it: the issuer is
// the issuer field, and a name that repeats it as "Issuer:name" loses that
// prefix; names pass the checks ParseURI makes; a TOTP key has the 30-second
// period, the only one an export holds. Every key makes decimal codes, as
// the app does, even one of the issuer "Steam" ([Key.URI] writes its digits,
// so that ParseURI does not read it as [Steam] codes). An unspecified
// algorithm or digit count is SHA1 or 6, their defaults, as when a key URI
// leaves them out; MD5, an unspecified type and values the format does not
// define are errors, never a guess. Fields the package does not know are
// skipped; a field of the wrong wire type or given twice, or a truncated
// one, is an error. An export with no accounts is an error.
//
// The batch fields must be able to describe an export: a version, size
// and index that are not negative, a size of at most [MaxMigrationBatch]
// (0 when the writer left it out: a code of its own), and an index below
// the size. The batch id may be any int32: the app picks it at random.
//
// Like [ParseURI] it refuses input longer than [MaxURILength] before reading
// it. Every error is a [*MigrationError] naming the account and field that
// is wrong, and never contains the URI or a secret.
func ParseMigrationURI(uri string) (*Migration, error) {
	if len(uri) > MaxURILength {
		return nil, migrationError("uri", "longer than "+strconv.Itoa(MaxURILength)+" bytes")
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || !strings.EqualFold(scheme, "otpauth-migration") {
		return nil, migrationError("scheme", "not otpauth-migration://")
	}
	host, rawQuery, _ := strings.Cut(rest, "?")
	if !strings.EqualFold(host, "offline") {
		return nil, migrationError("host", "not offline")
	}
	data, err := migrationData(rawQuery)
	if err != nil {
		return nil, err
	}
	return parsePayload(data)
}

// migrationData returns the decoded data parameter. Other parameters carry
// nothing the package could use, and are ignored.
func migrationData(rawQuery string) ([]byte, error) {
	var data string
	found := false
	for piece := range strings.SplitSeq(rawQuery, "&") {
		rawName, rawValue, _ := strings.Cut(piece, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil || !strings.EqualFold(name, "data") {
			continue
		}
		if found {
			return nil, migrationError("data", "given more than once")
		}
		found = true
		if data, err = url.PathUnescape(rawValue); err != nil { // '+' stays a plus
			return nil, migrationError("data", "bad percent-encoding")
		}
	}
	if data == "" {
		return nil, migrationError("data", "missing")
	}
	enc := base64.RawStdEncoding
	if len(data)%4 == 0 {
		enc = base64.StdEncoding
	}
	payload, err := enc.DecodeString(data)
	if err != nil {
		return nil, migrationError("data", "not base64")
	}
	return payload, nil
}

// payloadFields names the fields of MigrationPayload.
var payloadFields = map[uint64]string{1: "otp_parameters", 2: "version", 3: "batch_size", 4: "batch_index", 5: "batch_id"}

// parsePayload reads a MigrationPayload.
func parsePayload(data []byte) (*Migration, error) {
	m := &Migration{}
	r := protoReader{buf: data}
	seen := map[uint64]bool{}
	for !r.done() {
		f, err := r.next()
		name, known := payloadFields[f.num]
		switch {
		case f.num == 1:
			var k *Key
			if err == nil {
				k, err = parseEntry(f)
			}
			if err != nil {
				return nil, entryError(name, len(m.Keys), err.Error(), errors.Unwrap(err))
			}
			m.Keys = append(m.Keys, k)
		case known:
			if err == nil {
				err = setBatchField(m, f, seen[f.num])
				seen[f.num] = true
			}
			if err != nil {
				return nil, migrationError(name, err.Error())
			}
		case err != nil:
			return nil, migrationError("payload", unknownFieldReason(f, err))
		}
	}
	if len(m.Keys) == 0 {
		return nil, migrationError("payload", "no accounts")
	}
	if err := m.checkBatch(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkBatch refuses batch fields that no export can have. A zero size is
// one that the writer left out (proto3 writes no zeros; some tools and the
// app's single codes do so): then the code stands alone, at index 0.
func (m *Migration) checkBatch() error {
	switch {
	case m.Version < 0:
		return migrationError("version", "negative")
	case m.BatchSize < 0:
		return migrationError("batch_size", "negative")
	case m.BatchSize > MaxMigrationBatch:
		return migrationError("batch_size", "more than "+strconv.Itoa(MaxMigrationBatch)+" codes (MaxMigrationBatch)")
	case m.BatchIndex < 0:
		return migrationError("batch_index", "negative")
	case m.BatchIndex >= max(m.BatchSize, 1):
		return migrationError("batch_index", strconv.Itoa(m.BatchIndex)+" is not below the batch size, "+strconv.Itoa(m.BatchSize))
	}
	return nil
}

// setBatchField sets version, batch_size, batch_index or batch_id, which are
// int32: a negative one is sign-extended to a 10-byte varint on the wire.
func setBatchField(m *Migration, f protoField, seen bool) error {
	if err := f.want(wireVarint); err != nil {
		return err
	}
	if seen {
		return errors.New("given more than once")
	}
	v := int64(f.varint)
	if v < math.MinInt32 || v > math.MaxInt32 {
		return errors.New("not an int32")
	}
	switch f.num {
	case 2:
		m.Version = int(v)
	case 3:
		m.BatchSize = int(v)
	case 4:
		m.BatchIndex = int(v)
	case 5:
		m.BatchID = int32(v)
	}
	return nil
}

// otpParameters is an OtpParameters message, as read or to be written.
type otpParameters struct {
	secret       []byte
	name, issuer string
	algorithm    uint64 // 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5; 0 unspecified
	digits       uint64 // 1 six, 2 eight; 0 unspecified
	typ          uint64 // 1 HOTP, 2 TOTP; 0 unspecified
	counter      uint64
}

// parameterFields names the fields of OtpParameters and gives their wire
// types. Field 8, unique_id, is left to be skipped: no Key holds it.
var parameterFields = map[uint64]struct {
	name string
	typ  wireType
}{
	1: {"secret", wireBytes}, 2: {"name", wireBytes}, 3: {"issuer", wireBytes},
	4: {"algorithm", wireVarint}, 5: {"digits", wireVarint}, 6: {"type", wireVarint}, 7: {"counter", wireVarint},
}

// parseEntry reads an OtpParameters message into a Key. Its errors name
// the field, and the caller adds the entry.
func parseEntry(entry protoField) (*Key, error) {
	if err := entry.want(wireBytes); err != nil {
		return nil, err
	}
	var p otpParameters
	r := protoReader{buf: entry.bytes}
	seen := map[uint64]bool{}
	for !r.done() {
		f, err := r.next()
		field, known := parameterFields[f.num]
		if err == nil && known {
			err = f.want(field.typ)
		}
		if err == nil && known && seen[f.num] {
			err = errors.New("given more than once")
		}
		if err != nil && known {
			return nil, errors.New(field.name + ": " + err.Error())
		}
		if err != nil {
			return nil, errors.New(unknownFieldReason(f, err))
		}
		seen[f.num] = true
		p.set(f)
	}
	return p.key()
}

func (p *otpParameters) set(f protoField) {
	switch f.num {
	case 1:
		p.secret = f.bytes
	case 2:
		p.name = string(f.bytes)
	case 3:
		p.issuer = string(f.bytes)
	case 4:
		p.algorithm = f.varint
	case 5:
		p.digits = f.varint
	case 6:
		p.typ = f.varint
	case 7:
		p.counter = f.varint
	}
}

// The algorithms and digit counts an export holds, in the order of their
// enum values on the wire from 1. The value 0, unspecified, reads as SHA1
// and 6 digits, as an absent parameter in a key URI does.
var (
	exportAlgorithms = []Algorithm{SHA1, SHA256, SHA512}
	exportDigits     = []int{6, 8}
)

const (
	exportMD5  = 4
	exportHOTP = 1
	exportTOTP = 2
)

// key turns the parameters into a Key, refusing what no Key can hold.
func (p *otpParameters) key() (*Key, error) {
	if len(p.secret) == 0 {
		return nil, errors.New("secret: missing")
	}
	k := &Key{Issuer: p.issuer, Secret: bytes.Clone(p.secret)}
	switch {
	case p.algorithm == exportMD5:
		return nil, errors.New("algorithm: MD5 is not supported")
	case p.algorithm > uint64(len(exportAlgorithms)):
		return nil, errors.New("algorithm: unknown value " + strconv.FormatUint(p.algorithm, 10))
	case p.digits > uint64(len(exportDigits)):
		return nil, errors.New("digits: unknown value " + strconv.FormatUint(p.digits, 10))
	}
	k.Algorithm, k.Digits = exportAlgorithms[max(p.algorithm, 1)-1], exportDigits[max(p.digits, 1)-1]
	switch p.typ {
	case exportHOTP:
		k.Type, k.Counter = TypeHOTP, p.counter
	case exportTOTP:
		k.Type, k.Period = TypeTOTP, DefaultPeriod // a TOTP counter means nothing
	case 0:
		return nil, errors.New("type: unspecified")
	default:
		return nil, errors.New("type: unknown value " + strconv.FormatUint(p.typ, 10))
	}
	account := p.name
	if p.issuer != "" {
		account = strings.TrimPrefix(account, p.issuer+":")
	}
	k.Account = strings.TrimLeft(account, " ")
	if err := checkKeySecret(k.Secret); err != nil {
		return nil, &causeError{"secret: " + err.Reason, err} // as ParseURI: also an ErrInvalidSecret
	}
	// ParseURI's rules, so that a key one reads the other reads too.
	var ce *ConfigError
	if err := k.Validate(); errors.As(err, &ce) {
		return nil, errors.New(entryField(ce.Field) + ": " + ce.Reason)
	}
	return k, nil
}

// causeError is a reason with the error behind it, for errors.Is.
type causeError struct {
	reason string
	cause  error
}

func (e *causeError) Error() string { return e.reason }
func (e *causeError) Unwrap() error { return e.cause }

// entryField names the OtpParameters field that a Key field comes from.
func entryField(keyField string) string {
	if keyField == "Account" {
		return "name"
	}
	return strings.ToLower(keyField)
}

// MigrationURIs writes keys as a Google Authenticator export, perURI keys
// (0 means [DefaultMigrationBatch]) in each "otpauth-migration://" URI, for
// the app to scan one QR code after another. Every URI of one call shares a
// random batch id and the batch size, the number of URIs, and has its own
// batch index.
//
// A key that an export cannot carry is an error naming it, never silently
// changed: an export holds SHA1, SHA256 or SHA512, 6 or 8 decimal digits
// (never [Steam] codes), and for TOTP only the 30-second period; it has no
// place for [Key.Extra]. Names must be what [ParseURI] accepts, and the
// account must not start with a space. A key that is not valid at all, such
// as one without a secret, is an error that also wraps a [*ConfigError]. A
// URI longer than [MaxURILength] is an error too (at error-correction level
// M a QR code holds at most 2331 bytes; ten keys with typical names take
// about 1000).
//
// Each account is named "Issuer:account" (just "account" without an
// issuer): the label [Key.URI] writes, which the app keeps as the name of a
// key it scans, so that the app shows an imported key as it would show the
// same key scanned from its key URI.
//
// For each key, ParseMigrationURI gives back what ParseURI(k.URI()) gives:
// the key with its defaults filled in.
func MigrationURIs(keys []*Key, perURI int) ([]string, error) {
	if perURI < 0 {
		return nil, &ConfigError{Field: "perURI", Reason: "negative"}
	}
	if perURI == 0 {
		perURI = DefaultMigrationBatch
	}
	params := make([]otpParameters, len(keys))
	for i, k := range keys {
		var err error
		if params[i], err = exportParameters(k); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				return nil, entryError("keys", i, ce.Field+": "+ce.Reason, err)
			}
			return nil, entryError("keys", i, err.Error(), nil)
		}
	}
	batches := (len(keys) + perURI - 1) / perURI
	if batches > MaxMigrationBatch {
		return nil, migrationError("keys", strconv.Itoa(batches)+" QR codes, more than MaxMigrationBatch ("+strconv.Itoa(MaxMigrationBatch)+"): put more keys in each")
	}
	var id [4]byte
	rand.Read(id[:]) // never fails (Go 1.24 on)
	m := Migration{Version: migrationVersion, BatchSize: batches, BatchID: int32(binary.BigEndian.Uint32(id[:]))}
	uris := make([]string, 0, batches)
	for first := 0; first < len(keys); first += perURI {
		end := min(first+perURI, len(keys))
		m.BatchIndex = len(uris)
		uri := migrationURI(appendPayload(nil, &m, params[first:end]))
		if len(uri) > MaxURILength {
			return nil, &MigrationError{Entry: "keys[" + strconv.Itoa(first) + ":" + strconv.Itoa(end) + "]", Index: first,
				Reason: "an export URI of these keys is longer than " + strconv.Itoa(MaxURILength) + " bytes: put fewer keys in each"}
		}
		uris = append(uris, uri)
	}
	return uris, nil
}

// migrationURI returns the export URI of a payload, with the three
// characters of base64 that are not plain in a query percent-encoded, as
// the app writes them.
func migrationURI(payload []byte) string {
	return "otpauth-migration://offline?data=" + dataEscaper.Replace(base64.StdEncoding.EncodeToString(payload))
}

var dataEscaper = strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D")

// exportParameters checks that an export can carry k, and returns what it
// writes for it. A key that is not valid at all is a *ConfigError.
func exportParameters(k *Key) (otpParameters, error) {
	var p otpParameters
	if k == nil {
		return p, errors.New("nil")
	}
	if err := k.Validate(); err != nil {
		return p, err
	}
	checked, err := checkParams(k.Secret, k.Algorithm, k.Format, k.Digits)
	if err != nil {
		return p, err
	}
	if k.Format != Decimal {
		// Before digits: a Steam key's 5 is not the reason it cannot go.
		return p, errors.New("format: " + k.Format.String() + " codes cannot be exported: an export holds decimal codes only")
	}
	if err := p.setType(k); err != nil {
		return p, err
	}
	alg := slices.Index(exportAlgorithms, checked.alg) // Validate has refused unknown ones
	digits := slices.Index(exportDigits, checked.digits)
	if digits < 0 {
		return p, errors.New("digits: " + strconv.Itoa(checked.digits) + " cannot be exported: an export holds 6 or 8")
	}
	p.algorithm, p.digits = uint64(alg)+1, uint64(digits)+1
	if len(k.Extra) > 0 {
		return p, errors.New("parameter " + strconv.Quote(firstName(k.Extra)) + ": an export has no place for it")
	}
	p.secret, p.issuer, p.name = k.Secret, k.Issuer, k.Account
	if k.Issuer != "" {
		// The label Key.URI writes, which the app keeps as the name of a
		// key it scans; reading drops just this prefix.
		p.name = k.Issuer + ":" + k.Account
	}
	return p, nil
}

// setType sets the type and counter of an export from a valid k, refusing
// a TOTP period other than 30 seconds.
func (p *otpParameters) setType(k *Key) error {
	if k.Type == TypeHOTP {
		p.typ, p.counter = exportHOTP, k.Counter
		return nil
	}
	if periodOrDefault(k.Period) != DefaultPeriod {
		return errors.New("period: " + k.Period.String() + " cannot be exported: an export holds 30s only")
	}
	p.typ = exportTOTP
	return nil
}

// firstName returns the first parameter name of v in sorted order, so that
// an error names the same one every time.
func firstName(v url.Values) string {
	return slices.Min(slices.Collect(maps.Keys(v)))
}

// appendPayload appends the MigrationPayload of m's batch fields and params,
// in the field order the app writes: a TOTP key has no counter, an empty
// issuer and a zero batch id are left out.
func appendPayload(b []byte, m *Migration, params []otpParameters) []byte {
	var entry []byte
	for i := range params {
		entry = params[i].append(entry[:0])
		b = appendBytesField(b, 1, entry)
	}
	b = appendVarintField(b, 2, uint64(int64(m.Version)))
	b = appendVarintField(b, 3, uint64(int64(m.BatchSize)))
	b = appendVarintField(b, 4, uint64(int64(m.BatchIndex)))
	if m.BatchID != 0 {
		b = appendVarintField(b, 5, uint64(int64(m.BatchID))) // sign-extended, as protobuf writes an int32
	}
	return b
}

func (p *otpParameters) append(b []byte) []byte {
	b = appendBytesField(b, 1, p.secret)
	b = appendBytesField(b, 2, []byte(p.name))
	if p.issuer != "" {
		b = appendBytesField(b, 3, []byte(p.issuer))
	}
	b = appendVarintField(b, 4, p.algorithm)
	b = appendVarintField(b, 5, p.digits)
	b = appendVarintField(b, 6, p.typ)
	if p.typ == exportHOTP {
		b = appendVarintField(b, 7, p.counter)
	}
	return b
}
