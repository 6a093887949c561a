package recipe

import (
	"errors"
	"fmt"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// Category classifies a recipe error. It only changes how the lenient
// directory loader logs a skipped file.
type Category string

// The recipe error categories.
const (
	CategorySecurity Category = "security"
	CategorySchema   Category = "schema"
	CategoryParse    Category = "parse"
	CategoryIO       Category = "io"
	CategoryUnknown  Category = "unknown"
)

// Issue is one problem found in a recipe: the dotted location of the field
// (YAML key names, list indexes as numbers; empty for the recipe as a
// whole), the message and the 1-based line when known (0 otherwise).
type Issue struct {
	Loc  string
	Msg  string
	Line int
}

// String renders the issue as it appears in an error listing, without the
// leading "  - ".
func (i Issue) String() string {
	s := i.Msg
	if i.Loc != "" {
		s = i.Loc + ": " + i.Msg
	}
	if i.Line > 0 {
		s += fmt.Sprintf(" (line %d)", i.Line)
	}
	return s
}

// Error is a recipe error. Its text is either Header alone or Header
// followed by one "  - <loc>: <msg> (line N)" line per issue. Load returns
// it wrapped in an *exitcode.Error with code exitcode.Recipe (2); use
// errors.As to reach it.
type Error struct {
	Path     string
	Category Category
	Header   string
	Issues   []Issue
}

// Error renders the header and one "  - <loc>: <msg>" line per issue.
func (e *Error) Error() string {
	if len(e.Issues) == 0 {
		return e.Header
	}
	var b strings.Builder
	b.WriteString(e.Header)
	for _, is := range e.Issues {
		b.WriteString("\n  - ")
		b.WriteString(is.String())
	}
	return b.String()
}

// IsSecurity reports whether err is a recipe error of the security
// category.
func IsSecurity(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Category == CategorySecurity
}

// newError returns a recipe error with exit code 2.
func newError(path string, cat Category, header string, issues ...Issue) error {
	return &exitcode.Error{Code: exitcode.Recipe, Err: &Error{Path: path, Category: cat, Header: header, Issues: issues}}
}

// validationError is the usual "Recipe '<p>' failed validation:" error.
func validationError(path string, cat Category, issues ...Issue) error {
	return newError(path, cat, fmt.Sprintf("Recipe '%s' failed validation:", path), issues...)
}
