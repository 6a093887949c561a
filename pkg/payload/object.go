package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/codelibs/recotem-go/pkg/algo"
)

// Limits of a JSON section read by Reader.Object and DecodeObject.
const (
	// MaxObjectBytes bounds the JSON text of a configuration object.
	MaxObjectBytes = 64 << 10
	// MaxObjectFields bounds the number of its fields.
	MaxObjectFields = 256
)

// DecodeObject decodes b, the JSON text of one flat object of scalars, as
// algorithms store their configuration. It uses no reflection: it walks the
// token stream of an encoding/json Decoder and builds the map itself. A
// number written as an integer (no fraction, no exponent) that fits in an
// int64 becomes an int64, any other number a float64; strings stay strings
// and true/false become bools, so the algo.Params getters read the fields.
//
// It rejects, with an error naming the problem: text longer than
// MaxObjectBytes, anything but a single object (trailing data included), a
// nested object or array, null, a duplicate key, more than MaxObjectFields
// fields, and a number out of the float64 range.
func DecodeObject(b []byte) (algo.Params, error) {
	if len(b) > MaxObjectBytes {
		return nil, fmt.Errorf("JSON object of %d bytes exceeds %d", len(b), MaxObjectBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenErr(err)
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("want a JSON object, got %s", describe(tok))
	}
	p := algo.Params{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, tokenErr(err)
		}
		key, ok := tok.(string) // the decoder allows nothing else here
		if !ok {
			return nil, fmt.Errorf("want a key, got %s", describe(tok))
		}
		if _, dup := p[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		if len(p) == MaxObjectFields {
			return nil, fmt.Errorf("more than %d fields", MaxObjectFields)
		}
		if tok, err = dec.Token(); err != nil {
			return nil, tokenErr(err)
		}
		v, err := scalar(tok)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		p[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, tokenErr(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("trailing data after the object: %v", err)
		}
		return nil, fmt.Errorf("trailing data after the object: %s", describe(tok))
	}
	return p, nil
}

// scalar converts one value token of DecodeObject.
func scalar(tok json.Token) (any, error) {
	switch v := tok.(type) {
	case string, bool:
		return v, nil
	case json.Number:
		s := string(v)
		if !strings.ContainsAny(s, ".eE") {
			i, err := strconv.ParseInt(s, 10, 64)
			if err == nil {
				return i, nil
			}
			// An integer beyond int64 is read as the float64 the encoder
			// wrote (encoding/json prints floats below 1e21 without an
			// exponent).
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s is out of range", s)
		}
		return f, nil
	}
	return nil, fmt.Errorf("want a number, string or boolean, got %s", describe(tok))
}

// describe names a token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{', '}':
			return "an object"
		default:
			return "an array"
		}
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", tok)
}

// tokenErr reports a syntax error of the token stream; a premature end
// reads better than the decoder's bare io.EOF.
func tokenErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON input")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// decodeString decodes b, the JSON text of a single string (at most
// MaxObjectBytes), without reflection.
func decodeString(b []byte) (string, error) {
	if len(b) > MaxObjectBytes {
		return "", fmt.Errorf("JSON string of %d bytes exceeds %d", len(b), MaxObjectBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return "", tokenErr(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want a JSON string, got %s", describe(tok))
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return "", fmt.Errorf("trailing data after the string: %v", err)
		}
		return "", fmt.Errorf("trailing data after the string: %s", describe(tok))
	}
	return s, nil
}

// Object returns a JSON section holding one flat object of scalars,
// decoded without reflection by DecodeObject. It implements algo.Decoder;
// errors carry exitcode.Artifact with reason "deserialize".
func (r *Reader) Object(name string) (algo.Params, error) {
	_, b, err := r.section(name, JSON)
	if err != nil {
		return nil, err
	}
	p, err := DecodeObject(b)
	if err != nil {
		return nil, errorf("section %q: %v", name, err)
	}
	return p, nil
}

// JSONString returns a JSON section holding a single string, decoded
// without reflection. Errors carry exitcode.Artifact with reason
// "deserialize".
func (r *Reader) JSONString(name string) (string, error) {
	_, b, err := r.section(name, JSON)
	if err != nil {
		return "", err
	}
	s, err := decodeString(b)
	if err != nil {
		return "", errorf("section %q: %v", name, err)
	}
	return s, nil
}
