// Package metrics defines orgsync's Prometheus metrics, registered on the
// controller-runtime registry that the manager serves on its metrics endpoint.
package metrics

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Label names shared by several metrics.
const (
	labelProvider = "provider"
	labelAccount  = "account"
	labelKind     = "kind"
)

var (
	// RemoteRequests counts remote API requests by provider, operation and HTTP code.
	RemoteRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orgsync_remote_requests_total",
		Help: "Remote API requests by provider, operation and HTTP status code (or 'error').",
	}, []string{labelProvider, "operation", "code"})

	// RateLimitWaits counts the times an account had to wait for a remote rate limit.
	RateLimitWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orgsync_rate_limit_waits_total",
		Help: "Times a sync paused because the remote API rate-limited the account.",
	}, []string{labelProvider, labelAccount})

	// RateLimitWaitSeconds is the distribution of those waits.
	RateLimitWaitSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orgsync_rate_limit_wait_seconds",
		Help:    "How long a rate-limited account was told to wait.",
		Buckets: []float64{0.5, 1, 5, 15, 30, 60, 300, 900, 3600},
	}, []string{labelProvider})

	// SyncDuration is the wall time of complete and failed syncs.
	SyncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orgsync_sync_duration_seconds",
		Help:    "Duration of account syncs from first page to the end, including rate-limit waits.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2.5, 12),
	}, []string{labelProvider, "result"})

	// MirroredObjects is the number of mirrors an account has after its last complete sync.
	MirroredObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orgsync_mirrored_objects",
		Help: "Mirrored objects by kind and account after the last complete sync.",
	}, []string{labelKind, labelAccount})

	// LastSuccessfulSync is the Unix time of an account's last complete sync.
	LastSuccessfulSync = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orgsync_last_successful_sync_timestamp_seconds",
		Help: "Unix time of the account's last complete sync.",
	}, []string{labelAccount})

	// MirrorStates counts an account's mirrors by provisioning state after its last
	// complete sync, for alerts on mirrors in terminal states.
	MirrorStates = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orgsync_mirror_states",
		Help: "Mirrored objects by kind, account and normalized provisioning state after the last complete sync.",
	}, []string{labelKind, labelAccount, "state"})

	// AccountSyncInterval is an account's spec.syncInterval, so an alert can tell a
	// late sync from a slow interval.
	AccountSyncInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orgsync_account_sync_interval_seconds",
		Help: "The account's sync interval (spec.syncInterval).",
	}, []string{labelAccount})

	// AccountCondition is 1 for each condition an account has now, with its status and
	// reason, in the shape kube-state-metrics gives conditions.
	AccountCondition = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orgsync_account_status_condition",
		Help: "1 for each status condition the account has now, by type, status and reason.",
	}, []string{labelAccount, "type", "status", "reason"})

	// MirrorCeilingExcluded is how many remote items an account's last listing held
	// beyond its spec.maxMirrors, left without a mirror.
	MirrorCeilingExcluded = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "orgsync_mirror_ceiling_excluded",
		Help: "Remote items the account's last listing held beyond spec.maxMirrors, not mirrored.",
	}, []string{labelAccount})

	// APIServerWrites counts writes orgsync makes to the Kubernetes API server.
	APIServerWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orgsync_apiserver_writes_total",
		Help: "Writes to the Kubernetes API server by verb and kind.",
	}, []string{"verb", labelKind})
)

func init() {
	ctrlmetrics.Registry.MustRegister(RemoteRequests, RateLimitWaits, RateLimitWaitSeconds,
		SyncDuration, MirroredObjects, LastSuccessfulSync, APIServerWrites,
		MirrorStates, AccountSyncInterval, AccountCondition, MirrorCeilingExcluded)
}

// ForgetAccount drops an account's series once the account is gone.
func ForgetAccount(account string) {
	RateLimitWaits.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	MirroredObjects.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	LastSuccessfulSync.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	MirrorStates.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	AccountSyncInterval.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	AccountCondition.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	MirrorCeilingExcluded.DeletePartialMatch(prometheus.Labels{labelAccount: account})
}

// Condition is what AccountConditions needs of a status condition.
type Condition struct{ Type, Status, Reason string }

// AccountConditions replaces the account's condition series with the ones it has now,
// so a condition that went away, or changed reason, leaves no series behind.
func AccountConditions(account string, interval float64, conditions []Condition) {
	AccountCondition.DeletePartialMatch(prometheus.Labels{labelAccount: account})
	for _, c := range conditions {
		AccountCondition.WithLabelValues(account, c.Type, c.Status, c.Reason).Set(1)
	}
	AccountSyncInterval.WithLabelValues(account).Set(interval)
}

// MirrorStatesOf replaces the account's per-state counts of one kind.
func MirrorStatesOf(account, kind string, counts map[string]int) {
	MirrorStates.DeletePartialMatch(prometheus.Labels{labelAccount: account, labelKind: kind})
	for state, n := range counts {
		MirrorStates.WithLabelValues(kind, account, state).Set(float64(n))
	}
}

// InstrumentTransport counts every request through base by provider, operation
// (from the URL path) and status code.
func InstrumentTransport(provider string, base http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		RemoteRequests.WithLabelValues(provider, Operation(req.URL.Path), code).Inc()
		return resp, err
	})
}

// Operation names a remote call by its path, with a small fixed set of values so the
// metric's cardinality stays bounded.
func Operation(path string) string {
	switch {
	case strings.HasSuffix(path, "/partner/v2/organizations"),
		strings.HasSuffix(path, "/v2/organizations"),
		strings.HasSuffix(path, "/v3/organizations"),
		strings.HasSuffix(path, "/Microsoft.Confluent/organizations"):
		return "list_organizations"
	case strings.HasSuffix(path, "/usm/v1/connect-clusters"):
		return "list_connect_clusters"
	case strings.Contains(path, "token"):
		return "token"
	case path == "" || path == "/" || strings.HasSuffix(path, "/v2/info") || strings.Contains(path, "openid-configuration"):
		return "discovery"
	default:
		return "other"
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
