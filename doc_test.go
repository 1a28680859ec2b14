package vobizhook

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportedIdentifiersHaveDocs keeps the project's rule that every
// exported identifier (struct fields included) says what it is for.
func TestExportedIdentifiersHaveDocs(t *testing.T) {
	for _, dir := range []string{".", "vobizhooktest", "track", "vobizxml", "internal/genset", "redisstore", "redisstore/redistest", "otelvobizhook"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, missing := range undocumented(f) {
				t.Errorf("%s: exported %s has no doc comment", fset.Position(missing.Pos()), missing.Name)
			}
		}
	}
}

func undocumented(f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil && exportedReceiver(d) {
				out = append(out, d.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
						out = append(out, s.Name)
					}
					if st, ok := s.Type.(*ast.StructType); ok && s.Name.IsExported() {
						for i, field := range st.Fields.List {
							if field.Doc != nil || field.Comment != nil {
								continue
							}
							// A comment on the first field of a group may document
							// the group, naming each field: "EnterSound and
							// ExitSound are played ...".
							if group := groupDoc(st.Fields.List, i); group != nil && len(field.Names) == 1 &&
								strings.Contains(group.Text(), field.Names[0].Name) {
								continue
							}
							for _, n := range field.Names {
								if n.IsExported() {
									out = append(out, n)
								}
							}
						}
					}
				case *ast.ValueSpec:
					if s.Doc != nil || s.Comment != nil || d.Doc != nil {
						continue
					}
					for _, n := range s.Names {
						if n.IsExported() {
							out = append(out, n)
						}
					}
				}
			}
		}
	}
	return out
}

func exportedReceiver(d *ast.FuncDecl) bool {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return true
	}
	typ := d.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// groupDoc returns the doc comment of the nearest field before fields[i]
// in the run of fields without one (fields are grouped by blank lines in
// the source, which the AST does not keep: the run stands for the group).
func groupDoc(fields []*ast.Field, i int) *ast.CommentGroup {
	for j := i - 1; j >= 0; j-- {
		if fields[j].Doc != nil {
			return fields[j].Doc
		}
		if fields[j].Comment != nil {
			return nil
		}
	}
	return nil
}
