package tune

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

var dbURL = regexp.MustCompile(`(?i)^(postgresql|postgres|mysql|sqlite)\W`)

// OpenStorage opens the study storage named by a recipe's
// training.storage_path: empty means in-memory; a postgres:// or
// postgresql:// URL means a shared PostgreSQL study (a user name may be
// given, a password may not: use PGPASSWORD or ~/.pgpass); anything else is
// the path of a local journal file. mysql:// and sqlite:// URLs, which the
// reference passes to Optuna, are refused (exit 4): a journal path replaces
// the SQLite file and PostgreSQL replaces MySQL.
func OpenStorage(ctx context.Context, storagePath string) (Storage, error) {
	p := strings.TrimSpace(storagePath)
	switch {
	case p == "":
		return NewMemory(), nil
	case dbURL.MatchString(p):
		scheme := strings.ToLower(p[:strings.IndexAny(p, ":+")])
		if scheme != "postgres" && scheme != "postgresql" {
			return nil, exitcode.Reasoned(exitcode.Training, "search_error",
				"training.storage_path: %s study storage is not supported; use a postgresql:// URL or a journal file path", scheme)
		}
		u, err := url.Parse(p)
		if err != nil {
			return nil, exitcode.Reasoned(exitcode.Training, "search_error", "training.storage_path is not a valid URL")
		}
		if _, has := u.User.Password(); has {
			return nil, exitcode.Reasoned(exitcode.Training, "search_error",
				"training.storage_path must not embed credentials; use PGPASSWORD or ~/.pgpass")
		}
		s, err := OpenPostgres(ctx, p)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Training, err)
		}
		return s, nil
	}
	j, err := OpenJournal(p)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Training, err)
	}
	return j, nil
}
