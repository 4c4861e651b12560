package otp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// libraryFiles parses the package's non-test files by name.
func libraryFiles(t *testing.T) map[string]*ast.File {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		files[path] = f
	}
	return files
}

// declaredIn returns the file that declares each top-level name, methods
// as "Recv.Name".
func declaredIn(files map[string]*ast.File) map[string]string {
	where := map[string]string{}
	for path, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				name := d.Name.Name
				if d.Recv != nil {
					recv := d.Recv.List[0].Type
					if star, ok := recv.(*ast.StarExpr); ok {
						recv = star.X
					}
					name = recv.(*ast.Ident).Name + "." + name
				}
				where[name] = path
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						where[s.Name.Name] = path
					case *ast.ValueSpec:
						for _, n := range s.Names {
							where[n.Name] = path
						}
					}
				}
			}
		}
	}
	return where
}

// TestOneHomePerConcept: the file a concept is named for holds it, and each
// rule is written once. otp.go is the package doc, Algorithm and the errors
// every part shares; hotp.go is RFC 4226 (the code of a counter and the
// window match), which totp.go builds on; format.go is how a truncated
// value is written (decimal digits, Steam's letters) and the length rule;
// mac.go is HMAC.
func TestOneHomePerConcept(t *testing.T) {
	t.Parallel()
	where := declaredIn(libraryFiles(t))
	homes := map[string][]string{
		"otp.go": {"Algorithm", "SHA1", "hashes", "Algorithm.String", "ParseAlgorithm", "Algorithm.sum",
			"ErrInvalidCode", "ErrReplayed", "ErrInvalidConfig", "ConfigError"},
		"hotp.go": {"HOTP", "checkParams", "MaxWindow", "checkWindow",
			"mac.value", "truncate", "mac.matchLast", "HOTP.code", "HOTP.match"},
		"format.go": {"CodeFormat", "Decimal", "Steam", "formats", "CodeFormat.String", "DefaultDigits", "digitsOrDefault",
			"checkDigits", "codec.format", "codec.parse", "formatOfEncoder"},
		"totp.go":   {"TOTP", "TOTP.hotp", "DefaultPeriod", "periodOrDefault", "checkPeriod", "periodOfSeconds"},
		"mac.go":    {"mac", "compress", "stdMAC", "checkFIPSOnly"},
		"base32.go": {"SecretError", "ErrInvalidSecret", "DecodeSecret"},
		"uri.go":    {"Key", "KeyType", "URIError", "ErrInvalidURI", "checkNames", "checkKeySecret"},
	}
	for file, names := range homes {
		for _, name := range names {
			assert.Equal(t, file, where[name], "where %s is declared", name)
		}
	}
	// otp.go holds nothing else.
	for name, file := range where {
		if file == "otp.go" && !slices.Contains(homes["otp.go"], name) {
			switch name {
			case "SHA256", "SHA512", "Algorithm.known", "Algorithm.size", "Algorithm.blockSize", "Algorithm.newHash",
				"ConfigError.Error", "ConfigError.Unwrap":
			default:
				t.Errorf("otp.go declares %s, which belongs with its concept", name)
			}
		}
	}
}

// TestAlgorithmFactsInOneTable: what the package knows of each Algorithm
// is the hashes table. The only switches on the Algorithm constants left
// are the two that call each hash by name, so that its digest stays on the
// stack.
func TestAlgorithmFactsInOneTable(t *testing.T) {
	t.Parallel()
	allowed := []string{"Algorithm.sum", "compress"}
	for path, f := range libraryFiles(t) {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil {
				name = "Algorithm." + name // the only receiver that switches on Algorithm
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sw, ok := n.(*ast.SwitchStmt)
				if ok && switchesOnAlgorithms(sw) {
					assert.Contains(t, allowed, name, "%s: %s switches on the Algorithm constants", path, fn.Name.Name)
				}
				return true
			})
		}
	}
}

func switchesOnAlgorithms(sw *ast.SwitchStmt) bool {
	for _, stmt := range sw.Body.List {
		for _, e := range stmt.(*ast.CaseClause).List {
			if id, ok := e.(*ast.Ident); ok && (id.Name == "SHA1" || id.Name == "SHA256" || id.Name == "SHA512") {
				return true
			}
		}
	}
	return false
}

// TestNoCheckOfRandRead: crypto/rand.Read never returns an error (Go 1.24
// on: it crashes the program rather than return weak bytes), so a branch on
// one is dead code.
func TestNoCheckOfRandRead(t *testing.T) {
	t.Parallel()
	for path, f := range libraryFiles(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			assign, ok := n.(*ast.AssignStmt)
			if !ok || len(assign.Rhs) != 1 {
				return true
			}
			call, ok := assign.Rhs[0].(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Read" {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "rand" {
					t.Errorf("%s: the result of rand.Read is checked; it cannot fail", path)
				}
			}
			return true
		})
	}
}
