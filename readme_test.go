package vobizhook

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeSnippets keeps every Go snippet of the README compiling: each
// must be the code of a .go file of the repository (a test file holding
// snippets, an example, a recipe), line for line, indentation aside.
func TestReadmeSnippets(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var corpus strings.Builder
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			corpus.WriteString(normalizeCode(string(b)))
			corpus.WriteString("\n\x00\n") // a snippet cannot span two files
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)\n```go\n(.*?)\n```").FindAllStringSubmatchIndex(string(readme), -1)
	if len(blocks) < 10 {
		t.Fatalf("found %d Go snippets in README.md; the pattern is broken", len(blocks))
	}
	for _, m := range blocks {
		code := string(readme[m[2]:m[3]])
		line := strings.Count(string(readme[:m[2]]), "\n") + 1
		if !strings.Contains(corpus.String(), normalizeCode(code)) {
			t.Errorf("README.md:%d: this snippet is not the code of any .go file (write it in one that compiles, then copy it):\n%s", line, code)
		}
	}
}

// normalizeCode trims every line and drops blank ones.
func normalizeCode(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
