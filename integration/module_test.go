package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offlineModule writes a module of its own in a temp dir, with the root
// module replaced by this checkout, and returns a function that runs the
// go command in it with no network and no workspace: what a consumer's
// build would see.
func offlineModule(t *testing.T, files map[string]string) (dir string, goCmd func(args ...string) string) {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	dir = t.TempDir()
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	goMod := "module example.com/consumer\n\ngo 1.26.0\n\nreplace github.com/otpkit/otp => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))
	return dir, func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=mod", "GOSUMDB=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
}

// TestConsumerModuleGraph: a program that imports otp and otp/guard gets
// only the library, rsc.io/qr and testify's own modules in its module
// graph: no driver, browser or terminal package of the examples and tests.
func TestConsumerModuleGraph(t *testing.T) {
	t.Parallel()
	_, goCmd := offlineModule(t, map[string]string{"main.go": `package main

import (
	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
)

func main() { _ = &guard.Guard{Store: guard.NewMemoryStore()}; _ = otp.TOTP{} }
`})
	goCmd("get", "github.com/otpkit/otp@v0.0.0")
	goCmd("mod", "tidy")
	all := strings.Fields(goCmd("list", "-m", "-f", "{{.Path}}", "all"))
	viaTestify := reachable(goCmd("mod", "graph"), "github.com/stretchr/testify")
	// The graph is pruned: testify's own requirements show as the root
	// module's indirect ones, so read them from testify's go.mod.
	for _, m := range requires(t, goCmd("mod", "download", "-json", "github.com/stretchr/testify")) {
		viaTestify[m] = true
	}
	for _, m := range all {
		switch {
		case m == "example.com/consumer", m == "github.com/otpkit/otp", m == "rsc.io/qr", viaTestify[m]:
		default:
			t.Errorf("%s is in a consumer's module graph", m)
		}
	}
	assert.Contains(t, all, "rsc.io/qr")
}

// requires returns the modules that the go.mod named by go mod download
// -json's output requires.
func requires(t *testing.T, downloadJSON string) []string {
	t.Helper()
	var info struct{ GoMod string }
	require.NoError(t, json.Unmarshal([]byte(downloadJSON), &info))
	data, err := os.ReadFile(info.GoMod)
	require.NoError(t, err)
	var out []string
	inBlock := false
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "require" && f[1] == "(":
			inBlock = true
		case len(f) >= 3 && f[0] == "require":
			out = append(out, f[1])
		case inBlock && len(f) >= 1 && f[0] == ")":
			inBlock = false
		case inBlock && len(f) >= 2:
			out = append(out, f[0])
		}
	}
	return out
}

// reachable returns the module paths that graph (go mod graph's output)
// reaches from from, from included.
func reachable(graph, from string) map[string]bool {
	edges := map[string][]string{}
	for line := range strings.Lines(graph) {
		f := strings.Fields(line)
		if len(f) == 2 {
			a, _, _ := strings.Cut(f[0], "@")
			b, _, _ := strings.Cut(f[1], "@")
			edges[a] = append(edges[a], b)
		}
	}
	seen := map[string]bool{from: true}
	for queue := []string{from}; len(queue) > 0; queue = queue[1:] {
		for _, next := range edges[queue[0]] {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return seen
}

// TestReadmeExampleBuilds extracts the README's 30-second example and
// builds it as a program of its own, with the driver it names: it
// compiles as written.
func TestReadmeExampleBuilds(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "## In 30 seconds")
	require.True(t, ok, "the README has its 30-second example")
	_, code, ok := strings.Cut(section, "```go\n")
	require.True(t, ok)
	code, _, ok = strings.Cut(code, "```")
	require.True(t, ok)
	require.True(t, strings.HasPrefix(code, "package main"), "the example is a whole program")
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	dir, goCmd := offlineModule(t, map[string]string{"main.go": code, "go.sum": string(sum)})
	goCmd("get", "github.com/otpkit/otp@v0.0.0", "modernc.org/sqlite@"+requiredVersion(t, "modernc.org/sqlite"))
	goCmd("vet", ".")
	goCmd("build", "-o", filepath.Join(dir, "example"), ".")
	assert.FileExists(t, filepath.Join(dir, "example"))
}

// requiredVersion is the version of module that this module's go.mod
// requires, which the module cache holds.
func requiredVersion(t *testing.T, module string) string {
	t.Helper()
	mod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	for line := range strings.Lines(string(mod)) {
		f := strings.Fields(line)
		if i := slices.Index(f, module); i >= 0 && i+1 < len(f) {
			return f[i+1]
		}
	}
	t.Fatalf("go.mod does not require %s", module)
	return ""
}
