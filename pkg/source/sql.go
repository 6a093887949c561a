package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/fetch"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source/pystr"
)

// Limits of RECOTEM_MAX_SQL_ROWS.
const (
	defaultMaxSQLRows = 50_000_000
	minMaxSQLRows     = 1000
	maxMaxSQLRows     = 500_000_000
)

// sqlSource runs a read-only query (datasources.md §1.4) against
// PostgreSQL (pgx), MySQL/MariaDB (go-sql-driver/mysql) or SQLite
// (modernc.org/sqlite, pure Go). The DSN is a SQLAlchemy URL read from the
// environment variable named by dsn_env and translated to each driver.
//
// Beyond the reference: connections are dialled only to the addresses
// pinned by the host guard (not just re-checked before connecting); the
// MySQL statement-timeout variable is chosen by the server actually reached
// (MAX_EXECUTION_TIME on MySQL, max_statement_time on MariaDB) rather than
// by the URL's dialect name; SQLite queries are cancelled when
// statement_timeout_seconds elapses (the reference only warns); ids of typed
// columns follow the reference's str() (int 1 → "1", float 1.0 → "1.0").
type sqlSource struct {
	cfg     recipe.SQLSource
	env     Env
	u       *sqlURL
	pins    []netip.Addr // addresses the guard approved; nil when unguarded
	rebind  string       // host name re-resolved before connecting; "" for none
	connect string       // host name the driver connects to
	maxRows int64
	mariadb bool // statement timeout flavour, decided on the server
}

func newSQL(cfg recipe.SQLSource, env Env) (*sqlSource, error) {
	s := &sqlSource{cfg: cfg, env: env}
	if s.cfg.ConnectTimeoutSeconds == 0 {
		s.cfg.ConnectTimeoutSeconds = 10
	}
	if s.cfg.StatementTimeoutSeconds == 0 {
		s.cfg.StatementTimeoutSeconds = 300
	}
	s.maxRows = envInt(env.getenv, EnvMaxSQLRows, defaultMaxSQLRows, minMaxSQLRows, maxMaxSQLRows)
	dsn := strings.TrimSpace(env.getenv(cfg.DSNEnv))
	if dsn == "" {
		return nil, dataErr("env var %s is not set or is empty; set it to the database DSN (e.g. postgresql://user:pass@host/db)", cfg.DSNEnv)
	}
	u, ok := parseSQLURL(dsn)
	if !ok {
		return nil, dataErr("env var %s is not a valid SQLAlchemy URL", cfg.DSNEnv)
	}
	s.u = u
	switch u.Dialect {
	case "postgresql", "mysql", "mariadb", "sqlite":
	default:
		return nil, dataErr("unsupported SQL dialect '%s'; officially supported: ['mysql', 'postgres', 'sqlite'].", u.Backend)
	}
	if u.Dialect == "sqlite" {
		return s, nil
	}
	if err := s.guard(context.Background()); err != nil {
		return nil, err
	}
	s.tlsAdvice()
	return s, nil
}

func (s *sqlSource) Type() string { return "sql" }

// hosts resolves host names for the guard (fetch.Guard.Lookup: IP literals
// as is, every resolved address deduplicated in order).
func (s *sqlSource) hosts() *fetch.Guard { return &fetch.Guard{Resolver: s.env.Resolver} }

// guard applies the SSRF host guard of §1.4 step 4 and records the pins.
func (s *sqlSource) guard(ctx context.Context) error {
	u := s.u
	b := u.Backend
	pg := u.Dialect == "postgresql"
	qhost, hasQHost := u.get("host")
	hostaddr, hasHostaddr := u.get("hostaddr")
	s.connect = u.Host
	if hasQHost && qhost != "" {
		s.connect = qhost
	}
	if truthy(s.env.getenv(EnvSQLAllowPrivate)) {
		return nil
	}
	if _, ok := u.get("service"); ok && pg {
		return dataErr("DSN for dialect '%s' uses ?service=, which reads host settings from a libpq service file; refusing (set %s=1 to opt in)", b, EnvSQLAllowPrivate)
	}
	if _, ok := u.get("unix_socket"); ok && !pg {
		return dataErr("DSN for dialect '%s' uses ?unix_socket=; refusing local socket connections (set %s=1 to opt in)", b, EnvSQLAllowPrivate)
	}
	var cands []string
	if u.Host != "" {
		cands = append(cands, u.Host)
	}
	if pg && hasHostaddr && hostaddr != "" {
		cands = append(cands, hostaddr)
	}
	if hasQHost && qhost != "" {
		cands = append(cands, qhost)
	}
	for _, c := range cands {
		if strings.HasPrefix(c, "/") {
			return dataErr("DSN for dialect '%s' points at a Unix socket directory '%s'; refusing (set %s=1 to opt in)", b, c, EnvSQLAllowPrivate)
		}
	}
	if len(cands) == 0 {
		return dataErr("DSN for dialect '%s' does not specify a host; refusing to connect to a local socket (set %s=1 to opt in)", b, EnvSQLAllowPrivate)
	}
	seen := map[string]bool{}
	pinned := map[netip.Addr]bool{}
	for _, c := range cands {
		if seen[c] {
			continue
		}
		seen[c] = true
		addrs, err := s.hosts().Lookup(ctx, c)
		if err != nil || len(addrs) == 0 {
			return exitcode.New(exitcode.Fetch, "hostname '%s' does not resolve; refusing to connect (set %s=1 to bypass for offline tests)", c, EnvSQLAllowPrivate)
		}
		for _, a := range addrs {
			if isInternal(a) {
				return exitcode.New(exitcode.Fetch, "refusing to connect to private/loopback host '%s'; set %s=1 to opt in (resolved to %s)", c, EnvSQLAllowPrivate, a)
			}
			if !pinned[a] {
				pinned[a] = true
				s.pins = append(s.pins, a)
			}
		}
	}
	rb := s.connect
	if pg && hasHostaddr && hostaddr != "" {
		rb = hostaddr
	}
	if _, err := netip.ParseAddr(rb); err != nil {
		s.rebind = rb
	}
	if pg && hasHostaddr && hostaddr != "" {
		// libpq connects to hostaddr without a lookup: pin to it alone.
		a, err := netip.ParseAddr(hostaddr)
		if err == nil {
			s.pins = []netip.Addr{a.Unmap()}
		}
	}
	return nil
}

// tlsAdvice logs sql_dsn_tls_not_configured when the DSN does not ask for
// TLS (§1.4 step 5).
func (s *sqlSource) tlsAdvice() {
	u := s.u
	warn := false
	if u.Dialect == "postgresql" {
		m, ok := u.get("sslmode")
		warn = !ok || m == "disable" || m == "allow" || m == "prefer"
	} else {
		warn = true
		for _, k := range []string{"ssl", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert"} {
			if v, ok := u.get(k); ok && v != "" && !strings.EqualFold(v, "false") && v != "0" {
				warn = false
			}
		}
	}
	if warn {
		s.env.logger().Warn("sql_dsn_tls_not_configured", "dialect", u.Backend, "dsn", u.safe())
	}
}

// rebindCheck re-resolves the rebind host and requires an overlap with the
// pins (§1.4 fetch step 1).
func (s *sqlSource) rebindCheck(ctx context.Context) error {
	if len(s.pins) == 0 || s.rebind == "" {
		return nil
	}
	addrs, err := s.hosts().Lookup(ctx, s.rebind)
	if err != nil {
		return dataErr("DNS re-resolution of '%s' failed before connect; refusing to connect", s.rebind)
	}
	for _, a := range addrs {
		for _, p := range s.pins {
			if a == p {
				return nil
			}
		}
	}
	return dataErr("DNS rebinding detected for host '%s': it now resolves to addresses that were not approved at startup", s.rebind)
}

// dialPinned dials one of the pinned addresses on port.
func (s *sqlSource) dialPinned(ctx context.Context, port string) (net.Conn, error) {
	d := net.Dialer{Timeout: time.Duration(s.cfg.ConnectTimeoutSeconds) * time.Second}
	var last error
	for _, a := range s.pins {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// errClass names an error's type (and SQLSTATE or MySQL error number)
// without the driver's text, which may echo data or credentials.
func errClass(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return "PgError " + pe.Code
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return "MySQLError " + strconv.Itoa(int(me.Number))
	}
	var be *bindError
	if errors.As(err, &be) {
		return be.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "connection error"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", errors.Unwrap(err)), "*")
}

// open opens a database handle for the dialect.
func (s *sqlSource) open() (*sql.DB, error) {
	u := s.u
	switch u.Dialect {
	case "postgresql":
		return s.openPG()
	case "mysql", "mariadb":
		return s.openMySQL()
	}
	return s.openSQLite()
}

func (s *sqlSource) openPG() (*sql.DB, error) {
	u := s.u
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	// Build a keyword/value connection string: libpq semantics (sslmode
	// and friends) come from pgx's own parser.
	var kw []string
	add := func(k, v string) {
		v = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `'`, `\'`)
		kw = append(kw, k+"='"+v+"'")
	}
	if s.connect != "" {
		add("host", s.connect)
	}
	if u.Port != "" {
		add("port", u.Port)
	}
	if u.User != "" {
		add("user", u.User)
	}
	if u.HasPass {
		add("password", u.Password)
	}
	if u.Database != "" {
		add("dbname", u.Database)
	}
	add("connect_timeout", strconv.Itoa(s.cfg.ConnectTimeoutSeconds))
	for _, p := range u.Query {
		switch p.K {
		case "host", "hostaddr", "service", "connect_timeout":
			continue
		}
		add(p.K, p.V)
	}
	cfg, err = pgx.ParseConfig(strings.Join(kw, " "))
	if err != nil {
		return nil, fmt.Errorf("invalid PostgreSQL DSN: %s", errClass(err))
	}
	if len(s.pins) > 0 {
		pins := s.pins
		cfg.LookupFunc = func(ctx context.Context, host string) ([]string, error) {
			out := make([]string, len(pins))
			for i, a := range pins {
				out[i] = a.String()
			}
			return out, nil
		}
	}
	return stdlib.OpenDB(*cfg), nil
}

func (s *sqlSource) openMySQL() (*sql.DB, error) {
	u := s.u
	c := mysql.NewConfig()
	c.User = u.User
	c.Passwd = u.Password
	c.Net = "tcp"
	port := u.Port
	if port == "" {
		port = "3306"
	}
	host := s.connect
	c.Addr = net.JoinHostPort(host, port)
	c.DBName = u.Database
	c.Timeout = time.Duration(s.cfg.ConnectTimeoutSeconds) * time.Second
	c.ParseTime = true
	c.Loc = time.UTC
	if v, ok := u.get("unix_socket"); ok && v != "" {
		c.Net = "unix"
		c.Addr = v
	}
	if v, ok := u.get("charset"); ok && v != "" {
		c.Params = map[string]string{"charset": v}
	}
	if tc, err := s.mysqlTLS(host); err != nil {
		return nil, err
	} else if tc != nil {
		c.TLS = tc
	}
	if len(s.pins) > 0 {
		c.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return s.dialPinned(ctx, port)
		}
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %s", errClass(err))
	}
	return sql.OpenDB(conn), nil
}

// mysqlTLS builds the TLS configuration from PyMySQL-style ssl, ssl_ca,
// ssl_cert, ssl_key and ssl_verify_cert query keys.
func (s *sqlSource) mysqlTLS(host string) (*tls.Config, error) {
	on := func(k string) (string, bool) {
		v, ok := s.u.get(k)
		if !ok || v == "" || strings.EqualFold(v, "false") || v == "0" {
			return v, false
		}
		return v, true
	}
	_, ssl := on("ssl")
	ca, hasCA := on("ssl_ca")
	cert, hasCert := on("ssl_cert")
	key, hasKey := on("ssl_key")
	verifyVal, verifySet := s.u.get("ssl_verify_cert")
	if !ssl && !hasCA && !hasCert && !hasKey && !(verifySet && verifyVal != "" && verifyVal != "0" && !strings.EqualFold(verifyVal, "false")) {
		return nil, nil
	}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if verifySet && (verifyVal == "0" || strings.EqualFold(verifyVal, "false")) {
		tc.InsecureSkipVerify = true
	}
	if hasCA {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("ssl_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ssl_ca: no certificates in %s", ca)
		}
		tc.RootCAs = pool
	}
	if hasCert && hasKey {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("ssl_cert/ssl_key: %w", err)
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	return tc, nil
}

// sqlitePath translates the database part of a SQLAlchemy sqlite URL:
// `sqlite:///rel.db` → rel.db, `sqlite:////abs.db` → /abs.db,
// `sqlite:///:memory:` or `sqlite://` → memory, `sqlite:///file:...?uri=true`
// → the SQLite URI.
func (s *sqlSource) sqlitePath() string {
	db := s.u.Database
	if db == "" || db == ":memory:" {
		return ":memory:"
	}
	if v, ok := s.u.get("uri"); ok && truthy(v) {
		var q []string
		for _, p := range s.u.Query {
			if p.K != "uri" && p.K != "timeout" && p.K != "check_same_thread" {
				q = append(q, p.K+"="+p.V)
			}
		}
		if len(q) > 0 {
			return db + "?" + strings.Join(q, "&")
		}
		return db
	}
	return db
}

func (s *sqlSource) openSQLite() (*sql.DB, error) {
	p := s.sqlitePath()
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	ms := s.cfg.ConnectTimeoutSeconds * 1000
	dsn := p + sep + "_pragma=busy_timeout(" + strconv.Itoa(ms) + ")"
	if p != ":memory:" && !strings.HasPrefix(p, "file:") {
		dsn = "file:" + p + sep + "_pragma=busy_timeout(" + strconv.Itoa(ms) + ")"
	}
	return sql.Open("sqlite", dsn)
}

// Probe checks the host pins, connects and runs SELECT 1.
func (s *sqlSource) Probe(ctx context.Context) error {
	if err := s.rebindCheck(ctx); err != nil {
		return err
	}
	db, err := s.open()
	if err != nil {
		return dataErr("probe failed for dialect '%s': %v", s.u.Backend, err)
	}
	defer db.Close()
	cctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.ConnectTimeoutSeconds+s.cfg.StatementTimeoutSeconds)*time.Second)
	defer cancel()
	var one int
	if err := db.QueryRowContext(cctx, "SELECT 1").Scan(&one); err != nil {
		return dataErr("probe failed for dialect '%s': %s", s.u.Backend, errClass(err))
	}
	return nil
}

// querier is what a *sql.Tx and a *sql.Conn share.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Fetch runs the query in a read-only session with a statement timeout
// and streams the rows to sink.
func (s *sqlSource) Fetch(ctx context.Context, cols Columns, sink Sink) error {
	b := s.u.Backend
	if err := s.rebindCheck(ctx); err != nil {
		return err
	}
	db, err := s.open()
	if err != nil {
		return dataErr("query failed on dialect '%s': %v", b, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return dataErr("query failed on dialect '%s': %s", b, errClass(err))
	}
	defer conn.Close()

	stmtTimeout := time.Duration(s.cfg.StatementTimeoutSeconds) * time.Second
	var q querier = conn
	switch s.u.Dialect {
	case "postgresql":
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return dataErr("query failed on dialect '%s': %s", b, errClass(err))
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SET TRANSACTION READ ONLY"); err != nil {
			return dataErr("failed to enforce READ ONLY transaction on '%s': %s", b, errClass(err))
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(stmtTimeout.Milliseconds(), 10)); err != nil {
			return dataErr("failed to enforce statement_timeout on '%s': %s", b, errClass(err))
		}
		q = tx
	case "mysql", "mariadb":
		if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION READ ONLY"); err != nil {
			return dataErr("failed to enforce READ ONLY transaction on '%s': %s", b, errClass(err))
		}
		var version string
		if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
			return dataErr("query failed on dialect '%s': %s", b, errClass(err))
		}
		stmt := "SET SESSION MAX_EXECUTION_TIME = " + strconv.FormatInt(stmtTimeout.Milliseconds(), 10)
		if strings.Contains(strings.ToLower(version), "mariadb") {
			s.mariadb = true
			stmt = "SET SESSION max_statement_time = " + strconv.Itoa(s.cfg.StatementTimeoutSeconds)
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return dataErr("failed to enforce statement_timeout on '%s': %s", b, errClass(err))
		}
	case "sqlite":
		if _, err := conn.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
			return dataErr("failed to enforce read-only mode on sqlite: %s", errClass(err))
		}
		s.env.logger().Warn("sql_statement_timeout_unsupported_on_sqlite",
			"detail", "SQLite has no server-side statement timeout; the query is cancelled by the client after statement_timeout_seconds",
			"statement_timeout_seconds", s.cfg.StatementTimeoutSeconds)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, stmtTimeout)
		defer cancel()
	}

	query, args := s.cfg.Query, []any(nil)
	if len(s.cfg.QueryParameters) > 0 {
		params := make(map[string]any, len(s.cfg.QueryParameters))
		for k, v := range s.cfg.QueryParameters {
			params[k] = normParam(v)
		}
		query, args, err = bindNamed(s.cfg.Query, s.u.Dialect, params)
		if err != nil {
			return dataErr("query failed on dialect '%s': %v", b, err)
		}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return dataErr("query failed on dialect '%s': %s", b, errClass(err))
	}
	defer rows.Close()
	if err := s.scan(ctx, rows, cols, sink); err != nil {
		return err
	}
	return nil
}

// normParam normalises a YAML scalar to a driver argument.
func normParam(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

// numericTypes are database type names whose text values are numbers.
func numericType(name string) (isFloat, isNum bool) {
	switch strings.ToUpper(name) {
	case "FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8", "DOUBLE PRECISION":
		return true, true
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "INT2", "INT4", "INT8",
		"UNSIGNED TINYINT", "UNSIGNED SMALLINT", "UNSIGNED MEDIUMINT", "UNSIGNED INT", "UNSIGNED BIGINT", "YEAR":
		return false, true
	}
	return false, false
}

func (s *sqlSource) scan(ctx context.Context, rows *sql.Rows, cols Columns, sink Sink) error {
	b := s.u.Backend
	names, err := rows.Columns()
	if err != nil {
		return dataErr("query failed on dialect '%s': %s", b, errClass(err))
	}
	types, _ := rows.ColumnTypes()
	sel, err := selectColumns(names, cols)
	if err != nil {
		return err
	}
	if err := sink.Begin(Header{Columns: names, HasTime: sel.time >= 0}); err != nil {
		return err
	}
	dest := make([]any, len(names))
	var raw = make([]sql.RawBytes, len(names))
	var uval, ival, tval any
	for i := range dest {
		dest[i] = &raw[i]
	}
	dest[sel.user] = &uval
	dest[sel.item] = &ival
	if sel.time >= 0 {
		dest[sel.time] = &tval
	}
	kind := func(i int) (bool, bool) {
		if types == nil || i >= len(types) {
			return false, false
		}
		return numericType(types[i].DatabaseTypeName())
	}
	uf, _ := kind(sel.user)
	itf, _ := kind(sel.item)
	var tf, tnum bool
	if sel.time >= 0 {
		tf, tnum = kind(sel.time)
	}
	var row Row
	var ubuf, ibuf []byte
	var n int64
	for rows.Next() {
		n++
		if n > s.maxRows {
			return dataErr("query result exceeds %s=%d rows; tighten the query or raise the cap", EnvMaxSQLRows, s.maxRows)
		}
		if err := rows.Scan(dest...); err != nil {
			return dataErr("query failed on dialect '%s': %s", b, errClass(err))
		}
		row.User, row.UserNull, ubuf = sqlIDText(uval, uf, ubuf[:0])
		row.Item, row.ItemNull, ibuf = sqlIDText(ival, itf, ibuf[:0])
		if sel.time >= 0 {
			row.Time = sqlTime(tval, tf, tnum)
		}
		if err := sink.Row(&row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return dataErr("query failed on dialect '%s': statement timeout", b)
		}
		return dataErr("query failed on dialect '%s': %s", b, errClass(err))
	}
	return nil
}

// sqlIDText renders a scanned id as the reference's str() would.
func sqlIDText(v any, isFloat bool, buf []byte) ([]byte, bool, []byte) {
	switch x := v.(type) {
	case nil:
		return nil, true, buf
	case []byte:
		if isFloat {
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				buf = pystr.AppendFloat(buf, f)
				return buf, false, buf
			}
		}
		buf = append(buf, x...)
	case string:
		buf = append(buf, x...)
	case int64:
		buf = strconv.AppendInt(buf, x, 10)
	case float64:
		buf = pystr.AppendFloat(buf, x)
	case bool:
		buf = pystr.AppendBool(buf, x)
	case time.Time:
		buf = x.AppendFormat(buf, "2006-01-02 15:04:05.999999999")
	default:
		buf = fmt.Append(buf, x)
	}
	return buf, false, buf
}

// sqlTime converts a scanned time value.
func sqlTime(v any, isFloat, isNum bool) Value {
	switch x := v.(type) {
	case nil:
		return Value{Kind: TimeNull}
	case time.Time:
		return Value{Kind: TimeInstant, Instant: x.UTC()}
	case int64:
		return Value{Kind: TimeInt, Int: x}
	case float64:
		return Value{Kind: TimeFloat, Float: x}
	case bool:
		if x {
			return Value{Kind: TimeBool, Int: 1}
		}
		return Value{Kind: TimeBool}
	case []byte:
		if isNum {
			if nv, ok := ParseNumber(x); ok {
				return nv
			}
		}
		return Value{Kind: TimeText, Text: x}
	case string:
		return Value{Kind: TimeText, Text: []byte(x)}
	}
	return Value{Kind: TimeText, Text: fmt.Append(nil, v)}
}
