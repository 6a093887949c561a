package source

import (
	"net/url"
	"regexp"
	"strings"
)

// sqlURL is a parsed SQLAlchemy database URL:
// dialect[+driver]://user:pass@host:port/database?key=value.
type sqlURL struct {
	Dialect  string // postgresql, mysql, mariadb, sqlite (postgres → postgresql)
	Backend  string // the dialect as written, for messages
	Driver   string
	User     string
	Password string
	HasPass  bool
	Host     string // without IPv6 brackets
	Port     string
	Database string
	Query    []kv // in order
}

type kv struct{ K, V string }

// get returns the first value of key k.
func (u *sqlURL) get(k string) (string, bool) {
	for _, p := range u.Query {
		if p.K == k {
			return p.V, true
		}
	}
	return "", false
}

// sqlalchemyURL is SQLAlchemy 2.0's URL pattern (sqlalchemy.engine.url).
var sqlalchemyURL = regexp.MustCompile(`^(?P<name>[\w\+]+)://` +
	`(?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?` +
	`(?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?` +
	`(?:/(?P<database>[^\?]*))?` +
	`(?:\?(?P<query>.*))?$`)

// parseSQLURL parses a SQLAlchemy URL; ok is false when it does not match.
func parseSQLURL(s string) (*sqlURL, bool) {
	idx := sqlalchemyURL.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil, false
	}
	group := func(name string) (string, bool) {
		i := sqlalchemyURL.SubexpIndex(name)
		if idx[2*i] < 0 {
			return "", false
		}
		return s[idx[2*i]:idx[2*i+1]], true
	}
	g := func(name string) string { v, _ := group(name); return v }
	u := &sqlURL{}
	u.Backend, u.Driver, _ = strings.Cut(g("name"), "+")
	u.Dialect = u.Backend
	if u.Dialect == "postgres" {
		u.Dialect = "postgresql"
	}
	unq := func(v string) string {
		if d, err := url.PathUnescape(v); err == nil {
			return d
		}
		return v
	}
	u.User = unq(g("username"))
	if p, ok := group("password"); ok {
		u.Password = unq(p)
		u.HasPass = true
	}
	u.Host = g("ipv6host")
	if u.Host == "" {
		u.Host = g("ipv4host")
	}
	u.Port = g("port")
	u.Database = g("database")
	if q := g("query"); q != "" {
		for _, part := range strings.Split(q, "&") {
			if part == "" {
				continue
			}
			k, v, _ := strings.Cut(part, "=")
			ku, err1 := url.QueryUnescape(k)
			vu, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				return nil, false
			}
			u.Query = append(u.Query, kv{ku, vu})
		}
	}
	return u, true
}

// safe returns the URL without userinfo, for logs.
func (u *sqlURL) safe() string {
	var b strings.Builder
	b.WriteString(u.Backend)
	if u.Driver != "" {
		b.WriteString("+" + u.Driver)
	}
	b.WriteString("://")
	if strings.Contains(u.Host, ":") {
		b.WriteString("[" + u.Host + "]")
	} else {
		b.WriteString(u.Host)
	}
	if u.Port != "" {
		b.WriteString(":" + u.Port)
	}
	if u.Database != "" || u.Dialect == "sqlite" {
		b.WriteString("/" + u.Database)
	}
	if len(u.Query) > 0 {
		v := make([]string, len(u.Query))
		for i, p := range u.Query {
			v[i] = url.QueryEscape(p.K) + "=" + url.QueryEscape(p.V)
		}
		b.WriteString("?" + strings.Join(v, "&"))
	}
	return b.String()
}

// bindNamed translates SQLAlchemy `:name` bind parameters into the
// positional placeholders of a dialect ($1.. for PostgreSQL, ? otherwise)
// and returns the arguments in order. As SQLAlchemy's text(), a name is
// recognised when the colon is not preceded by a colon, a word character
// or a backslash and the name is not followed by a colon (so `::int` casts
// and `12:30` stay literal); `\:` is a literal colon. Values are passed to
// the driver as bound arguments, never spliced into the text.
func bindNamed(q, dialect string, params map[string]any) (string, []any, error) {
	var b strings.Builder
	var args []any
	index := map[string]int{}
	isWord := func(c byte) bool {
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\\' && i+1 < len(q) && q[i+1] == ':' {
			b.WriteByte(':')
			i++
			continue
		}
		if c != ':' || (i > 0 && (q[i-1] == ':' || isWord(q[i-1]) || q[i-1] == '\\')) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(q) && isWord(q[j]) {
			j++
		}
		if j == i+1 || (j < len(q) && q[j] == ':') {
			b.WriteByte(c)
			continue
		}
		name := q[i+1 : j]
		v, ok := params[name]
		if !ok {
			return "", nil, &bindError{name}
		}
		if dialect == "postgresql" {
			n, seen := index[name]
			if !seen {
				args = append(args, v)
				n = len(args)
				index[name] = n
			}
			b.WriteString("$")
			b.WriteString(itoa(n))
		} else {
			args = append(args, v)
			b.WriteByte('?')
		}
		i = j - 1
	}
	return b.String(), args, nil
}

type bindError struct{ name string }

func (e *bindError) Error() string {
	return "A value is required for bind parameter '" + e.name + "'"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
