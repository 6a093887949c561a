package source

import "github.com/codelibs/recotem-go/pkg/source/rawfile"

// Environment variables read by the sources (datasources.md §5).
const (
	EnvMaxDownloadBytes = rawfile.EnvMaxDownloadBytes
	EnvMaxSQLRows       = "RECOTEM_MAX_SQL_ROWS"
	EnvSQLAllowPrivate  = "RECOTEM_SQL_ALLOW_PRIVATE"
)

var (
	envInt        = rawfile.EnvInt
	truthy        = rawfile.Truthy
	redact        = rawfile.Redact
	compressionOf = rawfile.Compression
)
