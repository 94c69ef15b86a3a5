package cloudsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseFault reads a fault from its command-line form: comma-separated
// key=value pairs, the kind optionally given first without a key. Keys:
// kind (429, 5xx, slow, truncate, foreign-next, placeholder-next, loop, short-page, wrong-total,
// duplicate, not-found), endpoint, page, at (AtRequest), times, retry-after, status,
// delay, origin (ForeignOrigin), loop-to, extra (ExtraTotal).
//
//	429,endpoint=confluent.organizations,page=3,times=5,retry-after=2s
func ParseFault(spec string) (Fault, error) {
	var f Fault
	for i, part := range strings.Split(spec, ",") {
		key, value, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		if !hasValue {
			if i != 0 {
				return Fault{}, fmt.Errorf("fault %q: %q is not key=value", spec, part)
			}
			key, value = "kind", key
		}
		var err error
		switch key {
		case "kind":
			f.Kind = FaultKind(value)
			switch f.Kind {
			case FaultTooManyRequests, FaultServerError, FaultSlow, FaultTruncate, FaultForeignNext, FaultLoop,
				FaultShortPage, FaultWrongTotal, FaultDuplicate, FaultPlaceholderNext, FaultNotFound:
			default:
				err = fmt.Errorf("unknown kind")
			}
		case "endpoint":
			f.Endpoint = Endpoint(value)
			if f.Endpoint.Provider() == ProviderNone {
				err = fmt.Errorf("unknown endpoint; one of %s", strings.Join(endpointNames(), ", "))
			}
		case "page":
			f.Page, err = strconv.Atoi(value)
		case "at":
			f.AtRequest, err = strconv.Atoi(value)
		case "times":
			f.Times, err = strconv.Atoi(value)
		case "retry-after":
			f.RetryAfter, err = time.ParseDuration(value)
		case "status":
			f.Status, err = strconv.Atoi(value)
		case "delay":
			f.Delay, err = time.ParseDuration(value)
		case "origin":
			f.ForeignOrigin = value
		case "loop-to":
			f.LoopTo, err = strconv.Atoi(value)
		case "extra":
			f.ExtraTotal, err = strconv.Atoi(value)
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: %s: %w", spec, part, err)
		}
	}
	if f.Kind == "" {
		return Fault{}, fmt.Errorf("fault %q: no kind", spec)
	}
	return f, nil
}
