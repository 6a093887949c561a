package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// kind is the type of a decoded YAML value, after YAML 1.1 resolution as
// PyYAML's safe_load performs it.
type kind int

const (
	kNull kind = iota
	kBool
	kInt
	kFloat
	kString
	kDate // a date without time: s holds YYYY-MM-DD, t the date at UTC midnight
	kTime // a timestamp with time: t holds it, s the source text
	kMap
	kSeq
)

// node is one decoded YAML value with the line it starts on. Map entries keep
// document order.
type node struct {
	kind    kind
	line    int
	b       bool
	i       int64
	bigInt  bool // an integer outside int64; s holds its decimal text
	f       float64
	s       string
	t       time.Time
	entries []entry
	items   []*node
}

// entry is one key/value pair of a mapping. key is the string form of the key
// (Python's str() for non-string keys); keyStr reports whether the key was a
// string.
type entry struct {
	key    string
	keyStr bool
	val    *node
}

// get returns the value of key in a mapping node.
func (n *node) get(key string) (*node, bool) {
	if n == nil || n.kind != kMap {
		return nil, false
	}
	for _, e := range n.entries {
		if e.keyStr && e.key == key {
			return e.val, true
		}
	}
	return nil, false
}

// Limits that keep hostile documents (alias bombs, deep nesting) cheap.
const (
	maxNodes = 20000
	maxDepth = 200
)

// parseError is a YAML syntax or construction error with its 1-based line
// (0 when unknown).
type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string { return e.msg }

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// parseYAML decodes one YAML document with YAML 1.1 scalar resolution. An
// empty document yields a null node. Duplicate mapping keys are an error
// (PyYAML keeps the last; see the package documentation).
func parseYAML(data []byte) (*node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &node{kind: kNull, line: 1}, nil
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &parseError{line: extra.Line, msg: "expected a single document in the stream but found another document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return &node{kind: kNull, line: 1}, nil
	}
	c := &converter{}
	return c.convert(doc.Content[0], 0)
}

// yamlError turns a yaml.v3 error into a parseError, moving "line N" out of
// the text.
func yamlError(err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	}
	if line > 0 && parserErrors[msg] {
		// yaml.v3 reports parser (not scanner) errors with a 0-based line.
		line++
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	return &parseError{line: line, msg: msg}
}

// parserErrors are the yaml.v3 parser messages, whose line numbers are
// 0-based (scanner messages are 1-based).
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

type converter struct {
	count int
}

func (c *converter) convert(y *yaml.Node, depth int) (*node, error) {
	c.count++
	if c.count > maxNodes {
		return nil, &parseError{line: y.Line, msg: fmt.Sprintf("document too large: more than %d values after alias expansion", maxNodes)}
	}
	if depth > maxDepth {
		return nil, &parseError{line: y.Line, msg: fmt.Sprintf("document nested deeper than %d levels", maxDepth)}
	}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, &parseError{line: y.Line, msg: "unknown anchor"}
		}
		return c.convert(y.Alias, depth+1)
	case yaml.ScalarNode:
		return scalar(y)
	case yaml.SequenceNode:
		if y.Style&yaml.TaggedStyle != 0 && y.Tag != "!!seq" {
			return nil, noConstructor(y)
		}
		n := &node{kind: kSeq, line: y.Line, items: make([]*node, 0, len(y.Content))}
		for _, it := range y.Content {
			v, err := c.convert(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		return n, nil
	case yaml.MappingNode:
		if y.Style&yaml.TaggedStyle != 0 && y.Tag != "!!map" {
			return nil, noConstructor(y)
		}
		return c.mapping(y, depth)
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: kNull, line: y.Line}, nil
		}
		return c.convert(y.Content[0], depth+1)
	}
	return nil, &parseError{line: y.Line, msg: "unsupported YAML node"}
}

// mapping converts a mapping, applying YAML merge keys (<<) the way PyYAML
// does: explicit keys win over merged ones, earlier merged maps win over
// later ones.
func (c *converter) mapping(y *yaml.Node, depth int) (*node, error) {
	n := &node{kind: kMap, line: y.Line}
	seen := map[string]int{}
	var merged []entry
	for i := 0; i+1 < len(y.Content); i += 2 {
		ky, vy := y.Content[i], y.Content[i+1]
		if ky.Kind == yaml.ScalarNode && ky.Style == 0 && ky.Value == "<<" {
			v, err := c.convert(vy, depth+1)
			if err != nil {
				return nil, err
			}
			var srcs []*node
			switch v.kind {
			case kMap:
				srcs = []*node{v}
			case kSeq:
				srcs = v.items
			default:
				return nil, &parseError{line: vy.Line, msg: "expected a mapping or list of mappings for merging"}
			}
			for _, s := range srcs {
				if s.kind != kMap {
					return nil, &parseError{line: s.line, msg: "expected a mapping for merging"}
				}
				merged = append(merged, s.entries...)
			}
			continue
		}
		k, err := c.convert(ky, depth+1)
		if err != nil {
			return nil, err
		}
		if k.kind == kMap || k.kind == kSeq {
			return nil, &parseError{line: ky.Line, msg: "found unhashable key"}
		}
		key := pyStr(k)
		id := fmt.Sprintf("%d:%s", k.kind, key)
		if k.kind == kBool || k.kind == kInt {
			// Python: True == 1, so {1: a, true: b} repeats a key.
			id = "n:" + strconv.FormatInt(keyNumber(k), 10)
		}
		if prev, ok := seen[id]; ok {
			return nil, &parseError{line: ky.Line, msg: fmt.Sprintf("duplicate key %q (first defined on line %d)", key, prev)}
		}
		seen[id] = ky.Line
		v, err := c.convert(vy, depth+1)
		if err != nil {
			return nil, err
		}
		n.entries = append(n.entries, entry{key: key, keyStr: k.kind == kString, val: v})
	}
	if len(merged) > 0 {
		have := map[string]bool{}
		for _, e := range n.entries {
			have[e.key] = true
		}
		var front []entry
		for _, e := range merged {
			if !have[e.key] {
				have[e.key] = true
				front = append(front, e)
			}
		}
		n.entries = append(front, n.entries...)
	}
	return n, nil
}

func keyNumber(k *node) int64 {
	if k.kind == kBool {
		if k.b {
			return 1
		}
		return 0
	}
	return k.i
}

func noConstructor(y *yaml.Node) error {
	return &parseError{line: y.Line, msg: fmt.Sprintf("could not determine a constructor for the tag '%s'", y.Tag)}
}

// YAML 1.1 implicit resolvers, exactly PyYAML's.
var (
	boolRE    = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	floatRE   = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	intRE     = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	nullRE    = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	tsRE      = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
	tsPartsRE = regexp.MustCompile(`^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$`)
)

// scalar resolves one scalar node: quoted and block scalars are strings, an
// explicit tag is honoured, a plain scalar goes through the YAML 1.1
// resolvers.
func scalar(y *yaml.Node) (*node, error) {
	n := &node{line: y.Line}
	tag := ""
	switch {
	case y.Style&yaml.TaggedStyle != 0:
		tag = y.Tag
	case y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		tag = "!!str"
	default:
		tag = resolvePlain(y.Value)
	}
	v := y.Value
	var err error
	switch tag {
	case "!!str":
		n.kind, n.s = kString, v
	case "!!null":
		n.kind = kNull
	case "!!bool":
		switch strings.ToLower(v) {
		case "yes", "true", "on":
			n.kind, n.b = kBool, true
		case "no", "false", "off":
			n.kind, n.b = kBool, false
		default:
			return nil, &parseError{line: y.Line, msg: fmt.Sprintf("invalid boolean %q", v)}
		}
	case "!!int":
		err = constructInt(n, v)
	case "!!float":
		err = constructFloat(n, v)
	case "!!timestamp":
		err = constructTimestamp(n, v)
	case "!!merge":
		return nil, &parseError{line: y.Line, msg: "merge key '<<' used as a value"}
	default:
		return nil, noConstructor(y)
	}
	if err != nil {
		return nil, &parseError{line: y.Line, msg: err.Error()}
	}
	return n, nil
}

func resolvePlain(v string) string {
	switch {
	case boolRE.MatchString(v):
		return "!!bool"
	case floatRE.MatchString(v):
		return "!!float"
	case intRE.MatchString(v):
		return "!!int"
	case v == "<<":
		return "!!merge"
	case nullRE.MatchString(v):
		return "!!null"
	case tsRE.MatchString(v):
		return "!!timestamp"
	case v == "=":
		return "tag:yaml.org,2002:value"
	}
	return "!!str"
}

// constructInt follows PyYAML's SafeConstructor.construct_yaml_int.
func constructInt(n *node, v string) error {
	s := strings.ReplaceAll(v, "_", "")
	sign := 1
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	z := new(big.Int)
	ok := false
	switch {
	case s == "0":
		ok = true
	case strings.HasPrefix(s, "0b"):
		_, ok = z.SetString(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		_, ok = z.SetString(s[2:], 16)
	case strings.HasPrefix(s, "0"):
		_, ok = z.SetString(s[1:], 8)
	case strings.Contains(s, ":"):
		ok = true
		base := big.NewInt(1)
		parts := strings.Split(s, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := strconv.ParseInt(parts[i], 10, 64)
			if err != nil {
				return fmt.Errorf("invalid integer %q", v)
			}
			z.Add(z, new(big.Int).Mul(big.NewInt(d), base))
			base.Mul(base, big.NewInt(60))
		}
	default:
		_, ok = z.SetString(s, 10)
	}
	if !ok {
		return fmt.Errorf("invalid integer %q", v)
	}
	if sign < 0 {
		z.Neg(z)
	}
	n.kind = kInt
	if z.IsInt64() {
		n.i = z.Int64()
	} else {
		n.bigInt = true
		n.s = z.String()
	}
	return nil
}

// constructFloat follows PyYAML's construct_yaml_float.
func constructFloat(n *node, v string) error {
	s := strings.ToLower(strings.ReplaceAll(v, "_", ""))
	sign := 1.0
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	n.kind = kFloat
	switch {
	case s == ".inf":
		n.f = sign * math.Inf(1)
	case s == ".nan":
		n.f = math.NaN()
	case strings.Contains(s, ":"):
		parts := strings.Split(s, ":")
		base, val := 1.0, 0.0
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := strconv.ParseFloat(parts[i], 64)
			if err != nil {
				return fmt.Errorf("invalid float %q", v)
			}
			val += d * base
			base *= 60
		}
		n.f = sign * val
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("invalid float %q", v)
		}
		n.f = sign * f
	}
	return nil
}

// constructTimestamp follows PyYAML's construct_yaml_timestamp: a date
// alone is a date, anything else a datetime (UTC when an offset is given).
func constructTimestamp(n *node, v string) error {
	m := tsPartsRE.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("invalid timestamp %q", v)
	}
	atoi := func(s string) int { i, _ := strconv.Atoi(s); return i }
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if d.Year() != year || int(d.Month()) != month || d.Day() != day {
		return fmt.Errorf("invalid date %q: day is out of range for month", v)
	}
	if m[4] == "" {
		n.kind = kDate
		n.t = d
		n.s = d.Format("2006-01-02")
		return nil
	}
	hour, minute, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	if hour > 23 || minute > 59 || sec > 59 {
		return fmt.Errorf("invalid timestamp %q", v)
	}
	nsec := 0
	if m[7] != "" {
		frac := (m[7] + "000000")[:6]
		nsec = atoi(frac) * 1000
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if m[8] != "" && m[8] != "Z" {
		off := atoi(m[10])*3600 + atoi(m[11])*60
		if m[9] == "-" {
			off = -off
		}
		t = t.Add(-time.Duration(off) * time.Second)
	}
	n.kind = kTime
	n.t = t
	n.s = v
	return nil
}

// pyStr returns the string Python's str() gives for a scalar value, and a
// compact rendering for collections.
func pyStr(n *node) string {
	switch n.kind {
	case kNull:
		return "None"
	case kBool:
		if n.b {
			return "True"
		}
		return "False"
	case kInt:
		if n.bigInt {
			return n.s
		}
		return strconv.FormatInt(n.i, 10)
	case kFloat:
		return pyFloat(n.f)
	case kString, kDate:
		return n.s
	case kTime:
		return n.t.Format("2006-01-02 15:04:05.999999")
	case kMap:
		return "{...}"
	case kSeq:
		return "[...]"
	}
	return ""
}

// truthy reports Python truthiness.
func truthy(n *node) bool {
	switch n.kind {
	case kNull:
		return false
	case kBool:
		return n.b
	case kInt:
		return n.bigInt || n.i != 0
	case kFloat:
		return n.f != 0
	case kString:
		return n.s != ""
	case kMap:
		return len(n.entries) > 0
	case kSeq:
		return len(n.items) > 0
	}
	return true
}
