package otp

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Google Authenticator exports are protobuf. This file reads and writes
// its wire format (protobuf.dev/programming-guides/encoding) by hand,
// instead of using google.golang.org/protobuf: the library imports only the
// standard library and rsc.io/qr, two messages of scalar fields need no
// generated code, and a reader of its own can refuse what a generated one
// silently accepts (a field given twice, where the last one would win;
// enum values it does not know). It reads varints, length-delimited fields
// and skips fixed-size ones; it refuses the long-deprecated groups.

// wireType is the low three bits of a protobuf field key.
type wireType uint64

const (
	wireVarint  wireType = 0
	wireFixed64 wireType = 1
	wireBytes   wireType = 2
	wireFixed32 wireType = 5
)

// maxFieldNumber is the largest field number protobuf allows, 2^29-1.
const maxFieldNumber = 1<<29 - 1

// protoField is one field read from the wire: a varint's value, or the
// contents of a length-delimited field. Fixed-size fields are skipped.
type protoField struct {
	num    uint64
	typ    wireType
	varint uint64
	bytes  []byte
}

// protoReader reads the fields of one message in turn.
type protoReader struct{ buf []byte }

func (r *protoReader) done() bool { return len(r.buf) == 0 }

func (r *protoReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.buf)
	switch {
	case n == 0:
		return 0, errors.New("truncated varint")
	case n < 0:
		return 0, errors.New("varint longer than 64 bits")
	}
	r.buf = r.buf[n:]
	return v, nil
}

func (r *protoReader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.buf)) {
		return nil, errors.New("truncated: " + strconv.FormatUint(n, 10) + " bytes announced, " + strconv.Itoa(len(r.buf)) + " left")
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b, nil
}

// next reads the next field. On an error the field number, if it could be
// read, is still returned, so that the error can name the field.
func (r *protoReader) next() (f protoField, err error) {
	key, err := r.varint()
	if err != nil {
		return f, errors.New("field key: " + err.Error())
	}
	f.num, f.typ = key>>3, wireType(key&7)
	if f.num == 0 || f.num > maxFieldNumber {
		return protoField{}, errors.New("field number " + strconv.FormatUint(f.num, 10) + " is not valid")
	}
	switch f.typ {
	case wireVarint:
		f.varint, err = r.varint()
	case wireFixed64:
		_, err = r.take(8)
	case wireFixed32:
		_, err = r.take(4)
	case wireBytes:
		var n uint64
		if n, err = r.varint(); err == nil {
			f.bytes, err = r.take(n)
		}
	default: // 3 and 4 are the deprecated groups, 6 and 7 undefined
		err = errors.New("wire type " + strconv.FormatUint(uint64(f.typ), 10) + " is not supported")
	}
	return f, err
}

// unknownFieldReason says what is wrong with a field that has no name, by
// its number if it could be read.
func unknownFieldReason(f protoField, err error) string {
	if f.num == 0 {
		return err.Error()
	}
	return "field " + strconv.FormatUint(f.num, 10) + ": " + err.Error()
}

// want checks that f has the wire type its field is defined with.
func (f protoField) want(typ wireType) error {
	if f.typ != typ {
		return errors.New("wire type " + strconv.FormatUint(uint64(f.typ), 10) + ", want " + strconv.FormatUint(uint64(typ), 10))
	}
	return nil
}

func appendVarintField(b []byte, num int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(num)<<3|uint64(wireVarint))
	return binary.AppendUvarint(b, v)
}

func appendBytesField(b []byte, num int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(num)<<3|uint64(wireBytes))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}
