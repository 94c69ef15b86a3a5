package cloudsim

import (
	"fmt"
	"slices"
	"strings"
)

// cfCondition is one Cloud Controller v2 filter, <filter><op><value>.
type cfCondition struct {
	filter string
	op     string
	values []string
}

// cfV2Filters are the documented filters of GET /v2/organizations. Those on
// relations match nothing here: the simulator has no spaces or users.
var cfV2Filters = []string{"name", "space_guid", "user_guid", "manager_guid", "billing_manager_guid", "auditor_guid", "status"}

// parseCFQuery parses every q parameter; conditions separated by ";" inside
// one q, and several q parameters, are ANDed.
func parseCFQuery(qs []string) ([]cfCondition, error) {
	var out []cfCondition
	for _, q := range qs {
		for _, part := range strings.Split(q, ";") {
			cond, err := parseCFCondition(part)
			if err != nil {
				return nil, err
			}
			out = append(out, cond)
		}
	}
	return out, nil
}

func parseCFCondition(s string) (cfCondition, error) {
	if filter, value, ok := strings.Cut(s, " IN "); ok {
		return checkCFFilter(cfCondition{filter: filter, op: "IN", values: strings.Split(value, ",")})
	}
	best := -1
	op := ""
	for _, candidate := range []string{">=", "<=", "<", ">", ":"} {
		if i := strings.Index(s, candidate); i >= 0 && (best < 0 || i < best) {
			best, op = i, candidate
		}
	}
	if best <= 0 {
		return cfCondition{}, fmt.Errorf("%s is not a valid query; use <filter><op><value>", s)
	}
	return checkCFFilter(cfCondition{filter: s[:best], op: op, values: []string{s[best+len(op):]}})
}

func checkCFFilter(c cfCondition) (cfCondition, error) {
	if !slices.Contains(cfV2Filters, c.filter) {
		return cfCondition{}, fmt.Errorf("%s is not a valid filter; valid filters: %s", c.filter, strings.Join(cfV2Filters, ", "))
	}
	return c, nil
}

// matches reports whether an organization satisfies every condition.
func cfMatches(conds []cfCondition, o *CFOrganization) bool {
	for _, c := range conds {
		var field string
		switch c.filter {
		case "name":
			field = o.Name
		case "status":
			field = o.Status
		default:
			return false
		}
		if !c.holds(field) {
			return false
		}
	}
	return true
}

func (c cfCondition) holds(field string) bool {
	v := c.values[0]
	switch c.op {
	case ":":
		return field == v
	case ">=":
		return field >= v
	case "<=":
		return field <= v
	case "<":
		return field < v
	case ">":
		return field > v
	case "IN":
		return slices.Contains(c.values, field)
	}
	return false
}
