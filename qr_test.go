package otp

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// qrTexts are typical, long and awkward enrolment URIs.
func qrTexts(t *testing.T) map[string]string {
	t.Helper()
	long := &Key{
		Type: TypeHOTP, Issuer: "Ünïcødé Bank & Trust / Online", Account: "very.long.name+tag@subdomain.example.com",
		Secret: bytes.Repeat([]byte{0xa5, 0x5a, 0x00, 0xff}, 16), Algorithm: SHA512, Digits: 8, Counter: math.MaxUint64,
		Extra: map[string][]string{"image": {"https://example.com/logo/very/long/path/to/an/image.png"}, "color": {"336699"}},
	}
	every := &Key{Type: TypeTOTP, Issuer: "ACME Co", Account: "jane@example.com", Secret: []byte("12345678901234567890"),
		Algorithm: SHA256, Digits: 8, Period: 60 * time.Second}
	return map[string]string{
		"short":           "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ",
		"google example":  "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
		"every parameter": every.URI(),
		"long":            long.URI(),
	}
}

// zbar decodes the QR code in a PNG file with zbarimg (Debian zbar-tools),
// a scanner independent of this package.
func zbar(t *testing.T, pngData []byte) string {
	t.Helper()
	zbarimg := requireTool(t, "zbarimg", "zbar-tools")
	path := filepath.Join(t.TempDir(), "code.png")
	require.NoError(t, os.WriteFile(path, pngData, 0o600))
	out, err := exec.Command(zbarimg, "--quiet", "--raw", "-Sbinary", path).Output()
	require.NoError(t, err, "zbarimg found no code")
	return string(out)
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func TestQRScannable(t *testing.T) {
	t.Parallel()
	rsvg := requireTool(t, "rsvg-convert", "librsvg2-bin")
	for name, text := range qrTexts(t) {
		for _, level := range []QRLevel{QRLevelM, QRLevelL, QRLevelH} {
			q, err := EncodeQRLevel(text, level)
			require.NoError(t, err)
			t.Run(name+"/level"+string("MLQH"[level])+"/PNG", func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, text, zbar(t, q.PNG(4)))
			})
			t.Run(name+"/level"+string("MLQH"[level])+"/PNG scale 1", func(t *testing.T) {
				t.Parallel()
				// A one-pixel module is too small for zbar: scale the
				// decoded PNG up without smoothing first.
				img, err := png.Decode(bytes.NewReader(q.PNG(1)))
				require.NoError(t, err)
				assert.Equal(t, text, zbar(t, encodePNG(t, upscale(img, 4))))
			})
			t.Run(name+"/level"+string("MLQH"[level])+"/Image", func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, text, zbar(t, encodePNG(t, q.Image(3))))
			})
			t.Run(name+"/level"+string("MLQH"[level])+"/SVG", func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				svgPath, pngPath := filepath.Join(dir, "code.svg"), filepath.Join(dir, "code.png")
				require.NoError(t, os.WriteFile(svgPath, []byte(q.SVG()), 0o600))
				out, err := exec.Command(rsvg, "--width=600", "--output="+pngPath, svgPath).CombinedOutput()
				require.NoError(t, err, string(out))
				data, err := os.ReadFile(pngPath)
				require.NoError(t, err)
				assert.Equal(t, text, zbar(t, data))
			})
			t.Run(name+"/level"+string("MLQH"[level])+"/String", func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, text, zbar(t, encodePNG(t, textToImage(t, q.String(), false))))
			})
			t.Run(name+"/level"+string("MLQH"[level])+"/StringLightBackground", func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, text, zbar(t, encodePNG(t, textToImage(t, q.StringLightBackground(), true))))
			})
		}
	}
}

// upscale repeats each pixel n times in each direction.
func upscale(src image.Image, n int) image.Image {
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, b.Dx()*n, b.Dy()*n))
	for y := range b.Dy() * n {
		for x := range b.Dx() * n {
			dst.Set(x, y, src.At(b.Min.X+x/n, b.Min.Y+y/n))
		}
	}
	return dst
}

// halfCells tells which halves of a character cell are inked: top, bottom.
var halfCells = map[rune][2]bool{' ': {false, false}, '▄': {false, true}, '▀': {true, false}, '█': {true, true}}

// textToImage turns terminal text back into pixels, as the terminal would
// show it: inked half cells in the foreground color, the rest in the
// background color. On a dark background (lightBackground false) the ink is
// light; on a light background it is dark. Each module becomes 4×4 pixels.
func textToImage(t *testing.T, text string, lightBackground bool) image.Image {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	width := len([]rune(lines[0]))
	const px = 4
	img := image.NewGray(image.Rect(0, 0, width*px, len(lines)*2*px))
	ink, paper := color.Gray{Y: 0xff}, color.Gray{Y: 0}
	if lightBackground {
		ink, paper = paper, ink
	}
	for row, line := range lines {
		runes := []rune(line)
		require.Len(t, runes, width, "every line is as wide as the first")
		for x, r := range runes {
			cell, ok := halfCells[r]
			require.True(t, ok, "unexpected rune %q", r)
			for half := range 2 {
				c := paper
				if cell[half] {
					c = ink
				}
				for dy := range px {
					for dx := range px {
						img.SetGray(x*px+dx, (row*2+half)*px+dy, c)
					}
				}
			}
		}
	}
	return img
}

// assertModules checks that img shows q pixel for pixel: scale pixels a
// module, the 4-module quiet zone light all round.
func assertModules(t *testing.T, q *QR, img image.Image, scale int) {
	t.Helper()
	side := (q.Size() + 8) * scale
	require.Equal(t, image.Rect(0, 0, side, side), img.Bounds())
	wrong := 0
	for y := range side {
		for x := range side {
			mx, my := x/scale-4, y/scale-4
			inZone := mx < 0 || my < 0 || mx >= q.Size() || my >= q.Size()
			dark := gray(img.At(x, y)) < 0x80
			if dark != q.Black(mx, my) || inZone && dark {
				wrong++
			}
		}
	}
	assert.Zero(t, wrong, "pixels that differ from the modules at scale %d", scale)
}

func gray(c color.Color) uint8 { return color.GrayModel.Convert(c).(color.Gray).Y }

func TestQRPixels(t *testing.T) {
	t.Parallel()
	for name, text := range qrTexts(t) {
		q, err := EncodeQR(text)
		require.NoError(t, err)
		scales := []int{1, 2, 3, 5, 8}
		if name == "short" {
			scales = append(scales, MaxQRScale)
		}
		for _, scale := range scales {
			t.Run(name+"/"+string(rune('0'+scale%10)), func(t *testing.T) {
				t.Parallel()
				img, err := png.Decode(bytes.NewReader(q.PNG(scale)))
				require.NoError(t, err)
				assertModules(t, q, img, scale)
				assertModules(t, q, q.Image(scale), scale)
			})
		}
	}
}

func TestQRScaleBounds(t *testing.T) {
	t.Parallel()
	q, err := EncodeQR("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ")
	require.NoError(t, err)
	side := q.Size() + 8
	tests := []struct {
		name  string
		scale int
		want  int
	}{
		{"zero means the default", 0, DefaultQRScale},
		{"negative means the default", -5, DefaultQRScale},
		{"most negative", math.MinInt, DefaultQRScale},
		{"above the cap", MaxQRScale + 1, MaxQRScale},
		{"huge", math.MaxInt, MaxQRScale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, side*tt.want, q.Image(tt.scale).Bounds().Dx())
			cfg, err := png.DecodeConfig(bytes.NewReader(q.PNG(tt.scale)))
			require.NoError(t, err)
			assert.Equal(t, side*tt.want, cfg.Width)
			assert.Equal(t, side*tt.want, cfg.Height)
		})
	}
}

func TestQRTooLong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		level QRLevel
	}{
		{"bytes beyond version 40-M", strings.Repeat("x", 2332), QRLevelM},
		{"bytes beyond version 40-H", strings.Repeat("x", 1274), QRLevelH},
		{"a megabyte", strings.Repeat("x", 1<<20), QRLevelL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := EncodeQRLevel(tt.text, tt.level)
			assert.Nil(t, q)
			assert.ErrorIs(t, err, ErrQRTooLong)
		})
	}
	// The largest that fits still encodes.
	q, err := EncodeQRLevel(strings.Repeat("x", 2331), QRLevelM)
	require.NoError(t, err)
	assert.Equal(t, 177, q.Size())

	_, err = EncodeQRLevel("x", QRLevel(9))
	assertConfigError(t, err, "QRLevel")
}

func TestQRSVG(t *testing.T) {
	t.Parallel()
	q, err := EncodeQR("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ")
	require.NoError(t, err)
	svg := q.SVG()
	var doc struct {
		XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Rects   []struct {
			Width string `xml:"width,attr"`
		} `xml:"rect"`
		Paths []struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	require.NoError(t, xml.Unmarshal([]byte(svg), &doc), "the SVG is well-formed XML")
	side := strconv.Itoa(q.Size() + 8)
	assert.Equal(t, "0 0 "+side+" "+side, doc.ViewBox, "one unit a module, quiet zone included")
	require.Len(t, doc.Rects, 1)
	assert.Equal(t, side, doc.Rects[0].Width, "the white square covers the quiet zone")
	require.Len(t, doc.Paths, 1, "one path, not a rect per module")
	assert.Less(t, len(svg), 8000)
}

func TestQRString(t *testing.T) {
	t.Parallel()
	q, err := EncodeQR("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ")
	require.NoError(t, err)
	side := q.Size() + 8
	for name, text := range map[string]string{"dark": q.String(), "light": q.StringLightBackground()} {
		t.Run(name, func(t *testing.T) {
			lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			assert.Len(t, lines, (side+1)/2, "two module rows a line")
			for _, line := range lines {
				assert.Equal(t, side, len([]rune(line)))
				assert.NotContains(t, line, "\x1b", "no escape codes")
			}
		})
	}
	// On a dark background the quiet zone is inked (light): the first line
	// is all full blocks. On a light background it is blank.
	assert.Equal(t, strings.Repeat("█", side), strings.SplitN(q.String(), "\n", 2)[0])
	assert.Equal(t, strings.Repeat(" ", side), strings.SplitN(q.StringLightBackground(), "\n", 2)[0])
}

func TestKeyQR(t *testing.T) {
	t.Parallel()
	k, err := GenerateKey("Example", "alice@example.com")
	require.NoError(t, err)
	q, err := k.QR()
	require.NoError(t, err)
	assert.Equal(t, k.URI(), zbar(t, q.PNG(0)))

	dataURL := q.DataURL(2)
	assert.True(t, strings.HasPrefix(dataURL, "data:image/png;base64,iVBORw0KGgo"), "a base64 PNG")
}

func FuzzEncodeQR(f *testing.F) {
	f.Add("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ", 0, 2)
	f.Add("", 3, 1)
	f.Add("0123456789", 1, -1)
	f.Add("HELLO WORLD $%*+-./:", 2, 0)
	f.Fuzz(func(t *testing.T, text string, level, scale int) {
		q, err := EncodeQRLevel(text, QRLevel(level))
		if err != nil {
			return
		}
		scale = int(uint(scale)%4) + 1 // keep images small; MaxQRScale is tested on its own
		img, err := png.Decode(bytes.NewReader(q.PNG(scale)))
		require.NoError(t, err)
		require.Equal(t, (q.Size()+8)*scale, img.Bounds().Dx())
		require.Equal(t, (q.Size()+9)/2, strings.Count(q.String(), "\n"))
		require.True(t, strings.HasSuffix(q.SVG(), "</svg>"))
	})
}
