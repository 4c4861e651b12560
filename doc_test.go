package otp

import (
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsePackage parses the library's files, comments included, and returns
// them with the names they declare at top level and as methods.
func parsePackage(t *testing.T) (files []*ast.File, names map[string]bool) {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	names = map[string]bool{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
					continue
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				names[recv.(*ast.Ident).Name+"."+d.Name.Name] = true
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, field := range st.Fields.List {
								for _, n := range field.Names {
									names[s.Name.Name+"."+n.Name] = true
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	return files, names
}

// TestDocLinks: every [Name] in a doc comment links to something the
// package declares, and none is glued to a word ("[*URIError]s" renders
// as plain text, not a link).
func TestDocLinks(t *testing.T) {
	t.Parallel()
	files, names := parsePackage(t)
	glued := regexp.MustCompile(`\[\*?[A-Z][A-Za-z0-9_.]*\][A-Za-z0-9]`)
	var p comment.Parser
	for _, f := range files {
		for _, group := range f.Comments {
			text := group.Text()
			assert.Empty(t, glued.FindAllString(text, -1), "a doc link glued to a word in %q", firstLine(text))
			for _, link := range docLinks(p.Parse(text).Content) {
				if link.ImportPath != "" {
					continue // another package's
				}
				name := link.Name
				if link.Recv != "" {
					name = link.Recv + "." + link.Name
				}
				assert.True(t, names[name], "[%s] in %q names nothing in the package", name, firstLine(text))
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// docLinks returns every doc link in blocks, lists included.
func docLinks(blocks []comment.Block) []*comment.DocLink {
	var links []*comment.DocLink
	var walk func(texts []comment.Text)
	walk = func(texts []comment.Text) {
		for _, t := range texts {
			switch t := t.(type) {
			case *comment.DocLink:
				links = append(links, t)
			case *comment.Link:
				walk(t.Text)
			case *comment.Italic, comment.Plain:
			}
		}
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *comment.Paragraph:
			walk(b.Text)
		case *comment.Heading:
			walk(b.Text)
		case *comment.List:
			for _, item := range b.Items {
				links = append(links, docLinks(item.Content)...)
			}
		}
	}
	return links
}

// TestPackageDocListsEveryError: the package doc's Errors section names
// every sentinel and error type the package exports.
func TestPackageDocListsEveryError(t *testing.T) {
	t.Parallel()
	files, names := parsePackage(t)
	var pkgDoc string
	for _, f := range files {
		if f.Doc != nil {
			pkgDoc += f.Doc.Text()
		}
	}
	_, errorsSection, ok := strings.Cut(pkgDoc, "# Errors")
	require.True(t, ok, "the package doc has an Errors section")
	for name := range names {
		if strings.Contains(name, ".") || !token.IsExported(name) {
			continue
		}
		isSentinel := strings.HasPrefix(name, "Err")
		isType := strings.HasSuffix(name, "Error") && names[name+".Error"]
		if isSentinel {
			assert.Contains(t, errorsSection, "["+name+"]", "the package doc's Errors section")
		}
		if isType {
			assert.Contains(t, errorsSection, "[*"+name+"]", "the package doc's Errors section")
		}
	}
}

// serialTests may not run in parallel, each for its reason.
var serialTests = map[string]string{
	"TestMultiProcessChild":      "a child process of the multi-process tests, not a test of its own",
	"TestFIPS140Mode":            "a child process of TestFIPS140, not a test of its own",
	"TestVerifyAllocatesNothing": "testing.AllocsPerRun refuses to run in a parallel test",
}

// TestTestsRunInParallel keeps `go test ./...` fast on a 2-core machine:
// every test of the package starts with t.Parallel(), so that slow ones
// (QR codes scanned by zbarimg, cross-checks with oathtool and pyotp, the
// Guard's races) overlap instead of queueing.
func TestTestsRunInParallel(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, path := range paths {
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || serialTests[fn.Name.Name] != "" {
				continue
			}
			assert.True(t, startsWithParallel(fn.Body), "%s: %s does not start with t.Parallel()", path, fn.Name.Name)
		}
	}
}

func startsWithParallel(body *ast.BlockStmt) bool {
	if len(body.List) == 0 {
		return false
	}
	stmt, ok := body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := stmt.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Parallel"
}
