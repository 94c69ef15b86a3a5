package cloudsim

import (
	"sync"
	"time"
)

// FaultKind names a misbehaviour the server can be told to show.
type FaultKind string

const (
	// FaultTooManyRequests answers 429 with Retry-After (seconds) and the provider's error body.
	FaultTooManyRequests FaultKind = "429"
	// FaultServerError answers Status (default 500) with the provider's error body.
	FaultServerError FaultKind = "5xx"
	// FaultSlow waits Delay before answering.
	FaultSlow FaultKind = "slow"
	// FaultTruncate sends status 200 and only the first half of the JSON body.
	FaultTruncate FaultKind = "truncate"
	// FaultForeignNext makes the next link point to ForeignOrigin (same path and query).
	FaultForeignNext FaultKind = "foreign-next"
	// FaultLoop makes the next link point back to page LoopTo.
	FaultLoop FaultKind = "loop"
	// FaultShortPage leaves the last item out of a page, next link and total unchanged:
	// the item is lost to the listing, as when items move between pages.
	FaultShortPage FaultKind = "short-page"
	// FaultWrongTotal states a total ExtraTotal higher than the list holds (Confluent
	// metadata.total_size, Cloud Foundry total_results; Azure states none).
	FaultWrongTotal FaultKind = "wrong-total"
	// FaultDuplicate repeats, first on a page, the item the page before it ended with.
	FaultDuplicate FaultKind = "duplicate"
	// FaultPlaceholderNext makes the next link the published examples' placeholder,
	// the word "string" (Azure's Organization_ListBySubscription example): a link with
	// no cursor in it, which a client cannot follow.
	FaultPlaceholderNext FaultKind = "placeholder-next"
	// FaultNotFound answers an Azure Get (azure.get, its default endpoint) with ARM's
	// 404 ResourceNotFound, as if the organization were not there.
	FaultNotFound FaultKind = "not-found"
)

// Fault describes when and how a fault fires.
//
// A fault considers only requests to Endpoint (every list endpoint when empty).
// Among those it fires on the ones for page Page (1-based; any page when 0)
// from the AtRequest-th request on (counted since the fault was added; from the
// first when 0), at most Times times (without limit when 0).
//
// Examples: a burst of five 429s at the third page of Confluent organizations is
// {Kind: FaultTooManyRequests, Endpoint: EndpointConfluentOrganizations, Page: 3, Times: 5};
// one 503 on the tenth list request of any kind is
// {Kind: FaultServerError, Status: 503, AtRequest: 10, Times: 1}.
type Fault struct {
	Kind      FaultKind
	Endpoint  Endpoint
	Page      int
	AtRequest int
	Times     int

	// RetryAfter is the 429's Retry-After (default 1s, rounded up to whole seconds).
	RetryAfter time.Duration
	// Status is the 5xx status (default 500).
	Status int
	// Delay is how long a slow response waits (default 2s).
	Delay time.Duration
	// ForeignOrigin is the scheme and host of a foreign next link (default http://evil.example:1).
	ForeignOrigin string
	// LoopTo is the page a looping next link points back to (default 1).
	LoopTo int
	// ExtraTotal is how much a wrong total overstates the list (default 1).
	ExtraTotal int
}

// FaultID identifies an added fault.
type FaultID int

type activeFault struct {
	Fault
	id    FaultID
	seen  int
	fired int
}

// faultSet holds the active faults in the order they were added.
type faultSet struct {
	mu     sync.Mutex
	nextID FaultID
	faults []*activeFault
	fired  map[FaultID]int
}

func newFaultSet() *faultSet { return &faultSet{fired: map[FaultID]int{}} }

func (fs *faultSet) add(f Fault) FaultID {
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	if f.Status == 0 {
		f.Status = 500
	}
	if f.Delay <= 0 {
		f.Delay = 2 * time.Second
	}
	if f.ForeignOrigin == "" {
		f.ForeignOrigin = "http://evil.example:1"
	}
	if f.LoopTo <= 0 {
		f.LoopTo = 1
	}
	if f.ExtraTotal == 0 {
		f.ExtraTotal = 1
	}
	if f.Kind == FaultNotFound && f.Endpoint == "" {
		f.Endpoint = EndpointAzureGet // the only endpoint it means anything for
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	fs.faults = append(fs.faults, &activeFault{Fault: f, id: fs.nextID})
	return fs.nextID
}

func (fs *faultSet) remove(id FaultID) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.faults {
		if f.id == id {
			fs.faults = append(fs.faults[:i], fs.faults[i+1:]...)
			return
		}
	}
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = nil
}

func (fs *faultSet) firedCount(id FaultID) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.fired[id]
}

// decision is what the faults decided for one request.
type decision struct {
	delay    time.Duration
	status   *activeFault // a 429 or 5xx answer, if any
	truncate bool
	foreign  string
	loopTo   int
	// placeholder replaces the next link with placeholderNext.
	placeholder bool
	// short, extraTotal, duplicate and notFound are the listing-consistency faults.
	short      bool
	extraTotal int
	duplicate  bool
	notFound   bool
}

// decide evaluates the faults for a request to ep for the given page (0 when the
// endpoint is not paged). At most one fault of each kind fires; a status fault
// (429 or 5xx) stops the evaluation of body faults, which then see nothing.
func (fs *faultSet) decide(ep Endpoint, page int) decision {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var d decision
	for _, f := range fs.faults {
		if f.Kind == FaultSlow && d.delay == 0 && fs.fires(f, ep, page) {
			d.delay = f.Delay
		}
	}
	for _, f := range fs.faults {
		if (f.Kind == FaultTooManyRequests || f.Kind == FaultServerError) && fs.fires(f, ep, page) {
			d.status = f
			return d
		}
	}
	for _, f := range fs.faults {
		if !d.has(f.Kind) && fs.fires(f, ep, page) {
			d.apply(f)
		}
	}
	return d
}

// fires says whether f fires for this request, counting it when it does.
func (fs *faultSet) fires(f *activeFault, ep Endpoint, page int) bool {
	if !f.applies(ep) || (f.Times > 0 && f.fired >= f.Times) {
		return false
	}
	f.seen++
	if (f.Page > 0 && f.Page != page) || (f.AtRequest > 0 && f.seen < f.AtRequest) {
		return false
	}
	f.fired++
	fs.fired[f.id]++
	return true
}

// has says whether a body fault of the kind already fired for this request.
func (d *decision) has(kind FaultKind) bool {
	switch kind {
	case FaultTruncate:
		return d.truncate
	case FaultForeignNext:
		return d.foreign != ""
	case FaultLoop:
		return d.loopTo != 0
	case FaultShortPage:
		return d.short
	case FaultWrongTotal:
		return d.extraTotal != 0
	case FaultDuplicate:
		return d.duplicate
	case FaultPlaceholderNext:
		return d.placeholder
	case FaultNotFound:
		return d.notFound
	}
	return true // not a body fault
}

// apply records a body fault that fired.
func (d *decision) apply(f *activeFault) {
	switch f.Kind {
	case FaultTruncate:
		d.truncate = true
	case FaultForeignNext:
		d.foreign = f.ForeignOrigin
	case FaultLoop:
		d.loopTo = f.LoopTo
	case FaultShortPage:
		d.short = true
	case FaultWrongTotal:
		d.extraTotal = f.ExtraTotal
	case FaultDuplicate:
		d.duplicate = true
	case FaultPlaceholderNext:
		d.placeholder = true
	case FaultNotFound:
		d.notFound = true
	}
}

func (f *activeFault) applies(ep Endpoint) bool {
	if f.Endpoint == "" {
		return ep.isList()
	}
	return f.Endpoint == ep
}

// placeholderNext is the nextLink of the published Azure examples.
const placeholderNext = "string"
