package cloudfoundry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// v2Filters are the q filters GET /v2/organizations accepts.
var v2Filters = []string{"name", "space_guid", "user_guid", "manager_guid", "billing_manager_guid", "auditor_guid", "status"}

// v2Ops are q's operators, longest first so that ">=" is not read as ">".
var v2Ops = []string{" IN ", ">=", "<=", ":", "<", ">"}

// filter is one parsed v2 q filter: <field><op><value>.
type filter struct {
	raw    string
	field  string
	op     string // ":", ">=", "<=", "<", ">" or "IN"
	values []string
}

// parseFilters checks the filters up front, so a typo is a configuration error
// rather than an HTTP 400 on every sync.
func parseFilters(query []string) ([]filter, error) {
	filters := make([]filter, 0, len(query))
	for _, q := range query {
		f, err := parseFilter(q)
		if err != nil {
			return nil, err
		}
		filters = append(filters, f)
	}
	return filters, nil
}

func parseFilter(q string) (filter, error) {
	end := strings.IndexFunc(q, func(r rune) bool { return r != '_' && (r < 'a' || r > 'z') })
	if end <= 0 {
		return filter{}, fmt.Errorf("filter %q is not <filter><op><value>", q)
	}
	field, rest := q[:end], q[end:]
	if !slices.Contains(v2Filters, field) {
		return filter{}, fmt.Errorf("filter %q: %q is not one of %s", q, field, strings.Join(v2Filters, ", "))
	}
	for _, op := range v2Ops {
		value, ok := strings.CutPrefix(rest, op)
		if !ok {
			continue
		}
		if value == "" {
			return filter{}, fmt.Errorf("filter %q has no value", q)
		}
		if op == " IN " {
			return filter{raw: q, field: field, op: "IN", values: strings.Split(value, ",")}, nil
		}
		return filter{raw: q, field: field, op: op, values: []string{value}}, nil
	}
	return filter{}, fmt.Errorf("filter %q: the operator is not one of : >= <= < > IN", q)
}

// v3Names translates filters for GET /v3/organizations, which filters organizations
// by name only (names=a,b). Anything else it cannot express is an error: silently
// dropping a filter would mirror organizations the user meant to leave out.
func v3Names(filters []filter) ([]string, error) {
	switch len(filters) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, errors.New("v3 can express one name filter, not several filters")
	}
	f := filters[0]
	if f.field != "name" || (f.op != ":" && f.op != "IN") {
		return nil, fmt.Errorf("filter %q has no v3 equivalent: v3 filters organizations by name only (name:x or name IN a,b)", f.raw)
	}
	for _, v := range f.values {
		if v == "" || strings.Contains(v, ",") {
			return nil, fmt.Errorf("filter %q has no v3 equivalent: v3's names list cannot hold an empty name or a comma", f.raw)
		}
	}
	return f.values, nil
}
