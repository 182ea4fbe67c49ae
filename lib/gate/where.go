package gate

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/itchyny/gojq"
)

// Where is a --where predicate: a jq expression run on each record the
// gate would dispatch, gate object included; the record goes on only when
// the first value it yields is neither false nor null.
type Where struct {
	src  string
	code *gojq.Code
}

// CompileWhere parses and compiles a jq expression. Its error is a
// config/expression error (exit 3).
func CompileWhere(expr string) (*Where, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("--where %q: %v", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("--where %q: %v", expr, err)
	}
	return &Where{src: expr, code: code}, nil
}

// Match runs the predicate on a record (one JSON object). A run-time error
// is returned with a false result: a predicate that cannot be evaluated
// never lets a message through.
func (w *Where) Match(rec []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false, err
	}
	iter := w.code.Run(v)
	out, ok := iter.Next()
	if !ok {
		return false, nil // empty: no value, no match
	}
	if err, isErr := out.(error); isErr {
		return false, fmt.Errorf("--where: %v", err)
	}
	return out != nil && out != false, nil
}
