// Package dashboard defines orgsync's Grafana dashboard as code, with the Grafana
// Foundation SDK. cmd/gen-dashboard writes it into the chart, which ships it as a
// ConfigMap that Grafana's dashboard sidecar loads.
package dashboard

import (
	"encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// UID is the dashboard's stable id, so links and imports survive upgrades.
const UID = "orgsync-overview"

// datasource is the dashboard's Prometheus, chosen by the ds variable.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${ds}")}

// query is one PromQL target with its legend.
func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Datasource(datasource)
}

// graph is a time series panel of one or more queries.
func graph(title, unit string, queries ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Unit(unit).Datasource(datasource).Height(8).Span(12)
	for _, q := range queries {
		p = p.WithTarget(q)
	}
	return p
}

// single is a stat panel: one number per series, now.
func single(title, unit string, q *prometheus.DataqueryBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Unit(unit).Datasource(datasource).Height(5).Span(6).WithTarget(q.Instant())
}

// Build assembles the dashboard: syncs, the remote APIs, and what is written to the
// API server, by account. It uses the classic dashboard schema, not dashboardv2: the
// sidecar and file provisioning load classic JSON into any Grafana, v2 only Grafana 12+.
func Build() (dashboard.Dashboard, error) { //nolint:staticcheck // classic schema on purpose, see above
	b := dashboard.NewDashboardBuilder("orgsync") //nolint:staticcheck // classic schema on purpose, see above
	return b.Uid(UID).
		Description("Syncs, remote API requests and rate limits, and mirrors of the orgsync operator.").
		Tags([]string{"orgsync", "kubernetes", "operator"}).
		Refresh("1m").
		Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).
		WithVariable(dashboard.NewDatasourceVariableBuilder("ds").Label("Prometheus").Type("prometheus")).
		WithRow(dashboard.NewRowBuilder("Accounts")).
		WithPanel(single("Accounts not Ready", "short",
			query(`count(orgsync_account_status_condition{type="Ready",status!="True"} == 1) or vector(0)`, "not Ready"))).
		WithPanel(single("Accounts rate-limited", "short",
			query(`count(orgsync_account_status_condition{type="RateLimited",status="True"} == 1) or vector(0)`, "rate-limited"))).
		WithPanel(single("Mirrors", "short",
			query(`sum(orgsync_mirrored_objects)`, "mirrors"))).
		WithPanel(single("Oldest complete sync", "s",
			query(`max(time() - orgsync_last_successful_sync_timestamp_seconds)`, "age"))).
		WithRow(dashboard.NewRowBuilder("Syncs")).
		WithPanel(graph("Syncs by result", "ops",
			query(`sum by (provider, result) (rate(orgsync_sync_duration_seconds_count[$__rate_interval]))`, "{{provider}} {{result}}"))).
		WithPanel(graph("Sync duration (p50, p95)", "s",
			query(`histogram_quantile(0.5, sum by (le, provider) (rate(orgsync_sync_duration_seconds_bucket[$__rate_interval])))`, "p50 {{provider}}"),
			query(`histogram_quantile(0.95, sum by (le, provider) (rate(orgsync_sync_duration_seconds_bucket[$__rate_interval])))`, "p95 {{provider}}"))).
		WithPanel(graph("Time since the last complete sync", "s",
			query(`time() - orgsync_last_successful_sync_timestamp_seconds`, "{{account}}"),
			query(`orgsync_account_sync_interval_seconds`, "{{account}} interval"))).
		WithRow(dashboard.NewRowBuilder("Remote APIs")).
		WithPanel(graph("Remote requests by code", "reqps",
			query(`sum by (provider, code) (rate(orgsync_remote_requests_total[$__rate_interval]))`, "{{provider}} {{code}}"))).
		WithPanel(graph("Rate-limit waits", "short",
			query(`sum by (account) (increase(orgsync_rate_limit_waits_total[$__rate_interval]))`, "{{account}}"))).
		WithPanel(graph("Rate-limit wait asked for (p95)", "s",
			query(`histogram_quantile(0.95, sum by (le, provider) (rate(orgsync_rate_limit_wait_seconds_bucket[$__rate_interval])))`, "{{provider}}"))).
		WithRow(dashboard.NewRowBuilder("Kubernetes")).
		WithPanel(graph("Writes to the API server", "wps",
			query(`sum by (verb, kind) (rate(orgsync_apiserver_writes_total[$__rate_interval]))`, "{{verb}} {{kind}}"))).
		WithPanel(graph("Mirrors by state", "short",
			query(`sum by (kind, state) (orgsync_mirror_states)`, "{{kind}} {{state}}"))).
		WithPanel(graph("Mirrors by account", "short",
			query(`orgsync_mirrored_objects`, "{{account}} {{kind}}"))).
		Build()
}

// JSON is the dashboard as Grafana imports it.
func JSON() ([]byte, error) {
	d, err := Build()
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
