package guard

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPackageDocListsEveryError: the package doc's Errors section names
// every sentinel and error type the package exports, so a caller reading
// it learns every error there is to branch on.
func TestPackageDocListsEveryError(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var doc string
	methods := map[string]bool{}
	var names []string
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		require.NoError(t, err)
		if f.Doc != nil {
			doc += f.Doc.Text()
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil && d.Name.Name == "Error" {
					recv := d.Recv.List[0].Type
					if star, ok := recv.(*ast.StarExpr); ok {
						recv = star.X
					}
					methods[recv.(*ast.Ident).Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names = append(names, n.Name)
						}
					case *ast.TypeSpec:
						names = append(names, s.Name.Name)
					}
				}
			}
		}
	}
	_, section, ok := strings.Cut(doc, "# Errors")
	require.True(t, ok, "the package doc has an Errors section")
	for _, name := range names {
		switch {
		case strings.HasPrefix(name, "Err"):
			assert.Contains(t, section, name, "a sentinel")
		case methods[name] && token.IsExported(name):
			assert.Contains(t, section, "*"+name, "an error type")
		}
	}
}
