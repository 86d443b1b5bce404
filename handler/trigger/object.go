package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"ess-standby/handler/standby"
)

// object is a JSON object read strictly: a field is found by its exact name
// (encoding/json would match "InstanceID" to "InstanceId", or "EventType"
// to "eventType"), and a name given twice is refused, where encoding/json
// would keep the last one silently.
type object map[string]json.RawMessage

var (
	errNotObject = errors.New("must be a JSON object")
	// errEmpty: nothing was sent (s invoke without -e sends nothing), which
	// says more than that it is not an object.
	errEmpty = errors.New("is empty")
)

// maxFields bounds the fields of an object: the largest the function reads
// (a query string of InstanceId.1 to InstanceId.1000) has fewer, and a
// payload of many more costs no more than one of that many.
const maxFields = standby.MaxNamed + 100

// parseObject reads raw as one JSON object and nothing else. What is not
// JSON at all is refused with where it stops being JSON, so that a caller
// can find the mistake in a file of many lines.
func parseObject(raw []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	switch {
	case err == io.EOF:
		return nil, errEmpty
	case err != nil:
		return nil, syntaxError(raw, errNotObject)
	case tok != json.Delim('{'):
		return nil, syntaxError(raw, errNotObject) // `"a" x` is no JSON, `"a"` no object
	}
	o := object{}
	for dec.More() {
		if len(o) == maxFields {
			return nil, fmt.Errorf("has more than %d fields", maxFields)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(raw, errors.New("is not valid JSON"))
		}
		name := tok.(string) // inside an object, the decoder yields names as strings
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, syntaxError(raw, errors.New("is not valid JSON"))
		}
		if _, dup := o[name]; dup {
			return nil, errors.New(standby.Quote(name) + " is given twice")
		}
		o[name] = value
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(raw, errors.New("is not valid JSON"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntaxError(raw, errors.New("has data after the JSON object"))
	}
	return o, nil
}

// syntaxError says where raw stops being JSON, and why, as an editor
// counts (line and column from 1); otherwise, when raw is JSON, it is
// valid. It is called only once a read has failed: the decoder's own
// errors give no position in raw.
func syntaxError(raw []byte, valid error) error {
	var v struct{}
	var se *json.SyntaxError
	if !errors.As(json.Unmarshal(raw, &v), &se) { // the whole input is checked before anything is decoded
		return valid
	}
	pos := int(se.Offset) - 1 // the offending byte's; the offset counts it
	if strings.HasPrefix(se.Error(), "unexpected end") {
		pos = len(bytes.TrimRight(raw, " \t\r\n")) // just past what was sent
	}
	pos = min(max(pos, 0), len(raw))
	before := raw[:pos]
	line := bytes.Count(before, []byte("\n")) + 1
	column := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Errorf("is not valid JSON: %s, at line %d, column %d", se.Error(), line, column)
}

// parseArray reads raw as one JSON array, into its elements: at most limit
// of them, counted before any is read.
func parseArray(raw []byte, limit int) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	switch {
	case len(trimmed) == 0:
		return nil, errEmpty
	case !json.Valid(raw):
		return nil, syntaxError(raw, errNotArray)
	case trimmed[0] != '[':
		return nil, errNotArray
	}
	if n := countElements(raw); n > limit {
		return nil, fmt.Errorf("holds %d elements, more than %d", n, limit)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, errNotArray
	}
	return elems, nil
}

var errNotArray = errors.New("must be a JSON array")

// countElements counts the elements of a valid JSON array without reading
// them: none in [], else its commas outside strings and nested values,
// plus one.
func countElements(array []byte) int {
	afterOpen := skipSpace(array, 0) + 1
	if i := skipSpace(array, afterOpen); i >= len(array) || array[i] == ']' {
		return 0
	}
	return topLevelCommas(array) + 1
}

// topLevelCommas counts the commas of a valid JSON array that separate its
// elements: those at its own depth, outside strings.
func topLevelCommas(array []byte) int {
	depth, n := 0, 0
	for i := 0; i < len(array); i++ {
		switch array[i] {
		case '"':
			i = skipString(array, i) - 1
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}

// has says whether the object has a field of that exact name that is not
// null.
func (o object) has(name string) bool {
	v, ok := o[name]
	return ok && !isNull(v)
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// fields reads an object's fields into a draft's problems: each problem is
// named by its path from the payload's root (data.instanceId), so that a
// caller can find it.
type fields struct {
	obj  object
	path string // "" at the root; "data", "alert.meta" below it
	p    *standby.Problems
}

// readFields parses raw as an object at path; a problem is recorded, and an
// empty object returned, when it is not one.
func readFields(raw []byte, path string, p *standby.Problems) fields {
	o, err := parseObject(raw)
	if err != nil {
		p.Invalid(orRoot(path), "%v", err)
	}
	return fields{obj: o, path: path, p: p}
}

func orRoot(path string) string {
	if path == "" {
		return "event"
	}
	return path
}

// name is the path of a field of f.
func (f fields) name(field string) string {
	if f.path == "" {
		return field
	}
	return f.path + "." + field
}

func (f fields) has(field string) bool { return f.obj.has(field) }

// str reads a string field; absent or null is "". Any other type is a
// problem.
func (f fields) str(field string) string {
	raw, ok := f.obj[field]
	if !ok || isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		f.p.Invalid(f.name(field), "must be a string")
	}
	return s
}

// param reads a string field as a Param named by its path.
func (f fields) param(field string) standby.Param {
	return standby.Param{Name: f.name(field), Value: f.str(field)}
}

// text reads a field that may be a string or a number (CloudMonitor sends
// timestamps both ways), as its text.
func (f fields) text(field string) string {
	raw, ok := f.obj[field]
	if !ok || isNull(raw) {
		return ""
	}
	if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] != '"' {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
	}
	return f.str(field)
}

// object reads a nested object; absent or null is an empty one.
func (f fields) object(field string) fields {
	raw, ok := f.obj[field]
	if !ok || isNull(raw) {
		return fields{path: f.name(field), p: f.p}
	}
	return readFields(raw, f.name(field), f.p)
}

// jsonString reads a field that holds a JSON object in a string (as
// CloudMonitor's eventRawContent does), as the object.
func (f fields) jsonString(field string) fields {
	s := f.str(field)
	if s == "" {
		return fields{path: f.name(field), p: f.p}
	}
	return readFields([]byte(s), f.name(field), f.p)
}

// instanceID reads an instance ID field: the ID itself, or an ARN ending in
// instance/<ID> (acs:ecs:cn-hangzhou:<uid>:instance/i-…), as CloudMonitor
// names resources.
func (f fields) instanceID(field string) standby.Param {
	p := f.param(field)
	if _, id, ok := strings.Cut(p.Value, ":instance/"); ok && strings.HasPrefix(p.Value, "acs:") {
		p.Value = id
	}
	return p
}

func unmarshalString(raw json.RawMessage, s *string) bool { return json.Unmarshal(raw, s) == nil }

// pick reads raw, one valid JSON object (a member of what parseObject or
// parseArray has read, and so checked), as parseObject does, but keeps only
// the fields named in want, without decoding any field: a group of alerts
// holds up to a thousand objects, and decoding each field of each would
// cost a hostile megabyte more memory than a decoder may take. A name given
// twice, read or not, is refused, as parseObject refuses it; so is an
// object of more than maxFields fields. names is scratch space, reused
// across calls.
func pick(raw []byte, want []string, names *[][]byte) (object, error) {
	o := object{}
	*names = (*names)[:0]
	var tooMany bool
	err := members(raw, func(name, value []byte) {
		if len(*names) == maxFields {
			tooMany = true
			return
		}
		*names = append(*names, name)
		for _, w := range want {
			if string(name) == w {
				o[w] = value
			}
		}
	})
	switch {
	case err != nil:
		return nil, err
	case tooMany:
		return nil, fmt.Errorf("has more than %d fields", maxFields)
	}
	slices.SortFunc(*names, bytes.Compare)
	for i := 1; i < len(*names); i++ {
		if bytes.Equal((*names)[i], (*names)[i-1]) {
			return nil, errors.New(standby.Quote(string((*names)[i])) + " is given twice")
		}
	}
	return o, nil
}

// members calls fn with each member of raw, a JSON object, in order: its
// name, unescaped, and its value, the bytes of raw that hold it, decoded
// not at all. raw must be valid JSON (checked before, with the whole
// payload): what members checks is only that it is an object.
func members(raw []byte, fn func(name, value []byte)) error {
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '{' {
		return errNotObject
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil
	}
	for i < len(raw) && raw[i] == '"' {
		end := skipString(raw, i)
		name := raw[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if json.Unmarshal(raw[i:end], &s) != nil {
				return errNotObject
			}
			name = []byte(s)
		}
		i = skipSpace(raw, end)
		if i == len(raw) || raw[i] != ':' {
			return errNotObject
		}
		start := skipSpace(raw, i+1)
		end = skipValue(raw, start)
		fn(name, raw[start:end])
		switch i = skipSpace(raw, end); {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return nil
		default:
			return errNotObject
		}
	}
	return errNotObject
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString is the index just past the string that begins at b[i].
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue is the index just past the value that begins at b[i].
func skipValue(b []byte, i int) int {
	if i == len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ { // a number, true, false or null
		switch b[i] {
		case ' ', '\t', '\r', '\n', ',', ']', '}':
			return i
		}
	}
	return i
}
