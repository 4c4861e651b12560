package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonicalName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string // want "" for a refused name
	}{
		{"plain", "alice", "alice"},
		{"upper case", "Alice", "alice"},
		{"full-width", "ＡＬＩＣＥ", "alice"},
		{"an address", "Alice@Example.com", "alice@example.com"},
		{"josé in NFC", "jos\u00e9", "jos\u00e9"},
		{"josé in NFD", "jose\u0301", "jos\u00e9"},
		{"Cyrillic a among Latin letters", "\u0430lice", ""},
		{"Greek omicron among Latin letters", "b\u03bfb", ""},
		{"no-break space", "al\u00a0ice", ""},
		{"space", "al ice", ""},
		{"zero-width space", "al\u200bice", ""},
		{"control character", "al\x00ice", ""},
		{"invalid UTF-8", "al\xffice", ""},
		{"ligature", "\ufb01sh", ""},
		{"empty", "", ""},
		{"wholly Cyrillic", "\u0430\u043b\u0438\u0441\u0430", "\u0430\u043b\u0438\u0441\u0430"},
		{"Japanese: Han and kana", "山田たろう", "山田たろう"},
		{"digits and punctuation go with any script", "иван.2024", "иван.2024"},
		{"64 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"65 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := canonicalName(tc.in)
			if tc.want == "" {
				assert.Error(t, err, "%q", got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			again, err := canonicalName(got)
			require.NoError(t, err)
			assert.Equal(t, got, again, "the canonical form is its own")
		})
	}
}

// TestLookAlikeNamesAreOneOrRefused: the three pairs of issue 22, which
// were separate accounts: the second of each is the same account, or
// cannot be one.
func TestLookAlikeNamesAreOneOrRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.app.hasher.maxPerClient = 100
	h.signup("alice", "password1")
	h.signup("jos\u00e9", "password1")
	h.signup("alice2", "password1")
	for _, tc := range []struct{ name, user, want string }{
		{"Cyrillic a", "\u0430lice", "That user name cannot be used"},
		{"josé in NFD", "jose\u0301", "That user name is taken."},
		{"no-break space", "al\u00a0ice", "That user name cannot be used"},
		{"upper case", "ALICE", "That user name is taken."},
		{"full-width", "ａｌｉｃｅ２", "That user name is taken."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.browser().post("/signup", url.Values{"user": {tc.user}, "password": {"password2"}})
			assert.Equal(t, http.StatusBadRequest, r.status)
			assert.Contains(t, r.body, tc.want)
		})
		h.clock.add(time.Hour) // past the sign-up delay
	}

	b := h.browser()
	assert.Equal(t, http.StatusSeeOther, b.login("jose\u0301", "password1", "").status, "NFD logs in to the NFC account")
	assert.Equal(t, "jos\u00e9", b.signedInAs())
	b = h.browser()
	assert.Equal(t, http.StatusSeeOther, b.login("Alice", "password1", "").status)
	assert.Equal(t, "alice", b.signedInAs())
	assertRefused(t, h.browser().login("\u0430lice", "password1", ""), http.StatusUnauthorized)
}

// TestLookAlikesShareADelay: wrong passwords for one name in different
// spellings slow that name down together.
func TestLookAlikesShareADelay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.signup("rita", "password1")
	for _, spelling := range []string{"rita", "Rita", "RITA", "ｒｉｔａ"} {
		h.browser().login(spelling, "wrong", "")
	}
	r := h.browser().login("rIta", "wrong", "")
	assert.Equal(t, http.StatusTooManyRequests, r.status, r.body)
}

// FuzzCanonicalName: whatever is typed, canonicalName never panics; what it
// accepts is at most 64 bytes, of one script, and is its own canonical
// form, so that a name typed the canonical way logs in to the same account.
func FuzzCanonicalName(f *testing.F) {
	for _, s := range []string{"alice", "ＡＬＩＣＥ", "jose\u0301", "\u0430lice", "al\u00a0ice", "", "日本語テスト", "x\u200by"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		canon, err := canonicalName(typed)
		if err != nil {
			require.Empty(t, canon)
			return
		}
		require.NotEmpty(t, canon)
		require.LessOrEqual(t, len(canon), maxNameLen)
		require.True(t, oneScript(canon))
		again, err := canonicalName(canon)
		require.NoError(t, err)
		require.Equal(t, canon, again, "the canonical form is canonical")
	})
}
