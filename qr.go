package otp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"

	"rsc.io/qr"
)

// QRLevel is a QR error-correction level: how much of the code may be
// damaged or hidden and still scan.
type QRLevel int

const (
	QRLevelM QRLevel = iota // 15% recoverable; the default, as in authenticator apps' own codes
	QRLevelL                // 7%: the smallest code
	QRLevelQ                // 25%
	QRLevelH                // 30%: for codes printed with a logo over them
)

// qrQuietZone is the light border, in modules, that scanners need (ISO/IEC
// 18004 §6.3.8).
const qrQuietZone = 4

// DefaultQRScale is the pixels per module that PNG and Image use for a
// scale below 1: a typical enrolment code is then about 400 pixels wide.
const DefaultQRScale = 8

// MaxQRScale caps the pixels per module, so that no scale can ask for an
// image too large to allocate.
const MaxQRScale = 64

// ErrQRTooLong means the text does not fit in a QR code at the chosen level.
var ErrQRTooLong = errors.New("otp: text too long for a QR code")

// QR is an encoded QR code, ready to render. Every rendering includes the
// 4-module quiet zone.
type QR struct {
	code *qr.Code
}

// EncodeQR encodes text (typically [Key.URI]) as a QR code with
// error-correction level M.
func EncodeQR(text string) (*QR, error) {
	return EncodeQRLevel(text, QRLevelM)
}

// EncodeQRLevel encodes text as a QR code with the given error-correction
// level.
func EncodeQRLevel(text string, level QRLevel) (*QR, error) {
	var lv qr.Level
	switch level {
	case QRLevelL:
		lv = qr.L
	case QRLevelM:
		lv = qr.M
	case QRLevelQ:
		lv = qr.Q
	case QRLevelH:
		lv = qr.H
	default:
		return nil, &ConfigError{Field: "QRLevel", Reason: "unknown value " + strconv.Itoa(int(level))}
	}
	if len(text) > 7089 { // the most any QR code holds, in numeric mode
		return nil, ErrQRTooLong
	}
	code, err := qr.Encode(text, lv)
	if err != nil {
		return nil, ErrQRTooLong
	}
	return &QR{code: code}, nil
}

// QR returns k's key URI as a QR code, for an authenticator app to scan.
// A key that [Key.Validate] refuses is refused with its error: an app
// would read it wrong or not at all.
func (k *Key) QR() (*QR, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return EncodeQR(k.URI())
}

// Size returns the number of modules on a side, without the quiet zone.
func (q *QR) Size() int { return q.code.Size }

// Black reports whether the module at (x, y) is dark. Coordinates count
// from the top left module of the code; the quiet zone and anything outside
// the code are light.
func (q *QR) Black(x, y int) bool { return q.code.Black(x, y) }

// side returns the modules on a side, quiet zone included.
func (q *QR) side() int { return q.code.Size + 2*qrQuietZone }

// pixelScale maps a requested scale into 1..MaxQRScale.
func pixelScale(scale int) int {
	if scale < 1 {
		return DefaultQRScale
	}
	return min(scale, MaxQRScale)
}

// PNG returns the code as a 1-bit grayscale PNG with scale pixels per
// module (a scale below 1 means [DefaultQRScale]; above [MaxQRScale], that).
func (q *QR) PNG(scale int) []byte {
	scale = pixelScale(scale)
	if scale == 1 {
		// rsc.io/qr's fast encoder cannot write scale 1 (it panics), so
		// this one size goes through image/png.
		var buf bytes.Buffer
		_ = png.Encode(&buf, q.Image(1)) // cannot fail: a bytes.Buffer and an in-memory image
		return buf.Bytes()
	}
	c := *q.code
	c.Scale = scale
	return c.PNG()
}

// DataURL returns the PNG as a data: URL, for an HTML <img src>.
func (q *QR) DataURL(scale int) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(q.PNG(scale))
}

// Image returns the code as an image with scale pixels per module (a scale
// below 1 means [DefaultQRScale]; above [MaxQRScale], that), dark modules
// black on white. It computes pixels on demand and holds no pixel buffer.
func (q *QR) Image(scale int) image.Image {
	return &qrImage{code: q.code, scale: pixelScale(scale), side: q.side() * pixelScale(scale)}
}

// qrPalette is light then dark, so that a pixel's color index is its bit.
var qrPalette = color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0}}

// qrImage draws a code from its modules, unlike rsc.io/qr's Code.Image,
// which ignores Scale and the quiet zone.
type qrImage struct {
	code  *qr.Code
	scale int
	side  int // pixels
}

func (m *qrImage) ColorModel() color.Model { return qrPalette }
func (m *qrImage) Bounds() image.Rectangle { return image.Rect(0, 0, m.side, m.side) }
func (m *qrImage) At(x, y int) color.Color { return qrPalette[m.ColorIndexAt(x, y)] }

// ColorIndexAt makes qrImage an image.PalettedImage, which image/png
// encodes as a 1-bit PNG.
func (m *qrImage) ColorIndexAt(x, y int) uint8 {
	if m.code.Black(x/m.scale-qrQuietZone, y/m.scale-qrQuietZone) {
		return 1
	}
	return 0
}

// SVG returns the code as a standalone SVG document: one path of dark
// modules on a white square, in a viewBox one unit per module, so that it
// scales to any size without blurring.
func (q *QR) SVG() string {
	side := strconv.Itoa(q.side())
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + side + " " + side +
		`" shape-rendering="crispEdges"><rect width="` + side + `" height="` + side + `" fill="#fff"/><path fill="#000" d="`)
	n := q.code.Size
	for y := range n {
		for x := 0; x < n; {
			if !q.code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < n && q.code.Black(x+run, y) {
				run++
			}
			// One rectangle per horizontal run of dark modules.
			b.WriteString("M" + strconv.Itoa(x+qrQuietZone) + " " + strconv.Itoa(y+qrQuietZone) +
				"h" + strconv.Itoa(run) + "v1h-" + strconv.Itoa(run) + "z")
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

// String returns the code as text for a terminal with a dark background,
// the usual kind: Unicode half blocks (█ ▀ ▄ and space) in the terminal's
// light foreground color draw the light modules, so that the code reads
// dark on light as scanners expect. Each line holds two rows of modules.
// For a terminal with a light background use [QR.StringLightBackground].
func (q *QR) String() string { return q.text(false) }

// StringLightBackground returns the code as text for a terminal with a
// light background: the half blocks draw the dark modules.
func (q *QR) StringLightBackground() string { return q.text(true) }

// text renders two module rows per line. A cell is "inked" when its module
// is dark (inkDark) or light (!inkDark); rows past the bottom are never
// inked, so they show the terminal's background.
func (q *QR) text(inkDark bool) string {
	side := q.side()
	inked := func(x, y int) bool {
		if y >= side {
			return false
		}
		return q.code.Black(x-qrQuietZone, y-qrQuietZone) == inkDark
	}
	var b strings.Builder
	b.Grow((side + 1) / 2 * (side*3 + 1))
	for y := 0; y < side; y += 2 {
		for x := range side {
			b.WriteString(halfBlocks[boolIndex(inked(x, y))<<1|boolIndex(inked(x, y+1))])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// halfBlocks is indexed by top<<1 | bottom.
var halfBlocks = [4]string{" ", "▄", "▀", "█"}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
