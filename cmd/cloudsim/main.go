// Command cloudsim serves the simulated Confluent Cloud, Azure and Cloud
// Foundry APIs of package cloudsim on one address until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/orgsync/orgsync/internal/cloudsim"
)

// listFlag collects a repeatable or comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// faultFlag collects repeatable -fault specifications.
type faultFlag []cloudsim.Fault

func (f *faultFlag) String() string { return fmt.Sprint(len(*f), " faults") }
func (f *faultFlag) Set(v string) error {
	fault, err := cloudsim.ParseFault(v)
	if err != nil {
		return err
	}
	*f = append(*f, fault)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cloudsim:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cfg                            cloudsim.Config
		envs, subs, tlsHosts           listFlag
		faults                         faultFlag
		addr, caOut                    string
		useTLS, cfNoRate, cfRetryEpoch bool
		churn                          time.Duration
		externalURL                    string
	)
	flag.StringVar(&addr, "addr", "127.0.0.1:8443", "listen address")
	flag.BoolVar(&useTLS, "tls", true, "serve HTTPS with a self-signed certificate (Azure AD clients require HTTPS)")
	flag.Var(&tlsHosts, "tls-host", "extra DNS name or IP for the certificate (repeatable, comma-separated)")
	flag.StringVar(&caOut, "ca-out", "", "write the certificate (PEM) to this file, for clients to trust")
	flag.StringVar(&cfg.PublicURL, "public-url", "", "origin used in absolute links (default: the origin each request was sent to)")
	flag.StringVar(&externalURL, "external-url", "", "origin the lists' links name, as a foundation's external domain (discovery and token endpoints keep -public-url)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the generated data set")
	flag.DurationVar(&cfg.TokenTTL, "token-ttl", 3599*time.Second, "lifetime of issued access tokens")

	flag.IntVar(&cfg.Confluent.Organizations, "confluent-orgs", 50, "Confluent organizations (negative: none)")
	flag.Var(&envs, "confluent-envs", "Confluent environments holding connect clusters (default env-00000,env-00001)")
	flag.IntVar(&cfg.Confluent.ConnectClustersPerEnvironment, "connect-clusters", 20, "connect clusters per environment (negative: none)")
	flag.IntVar(&cfg.Confluent.RateLimit.Limit, "confluent-rate-limit", 1000, "Confluent requests per window per credential")
	flag.DurationVar(&cfg.Confluent.RateLimit.Window, "confluent-rate-window", time.Minute, "Confluent rate-limit window")
	flag.BoolVar(&cfg.Confluent.IdentityProviderTokensOnUSM, "confluent-idp-tokens-on-usm", false,
		"let usm/v1 take /oauth2/token's own tokens (Confluent Cloud refuses them: only API keys and STS tokens)")

	flag.Var(&subs, "azure-subscriptions", "Azure subscriptions (default "+cloudsim.DefaultAzureSubscription+")")
	flag.IntVar(&cfg.Azure.ResourceGroups, "azure-resource-groups", 3, "resource groups per subscription")
	flag.IntVar(&cfg.Azure.OrganizationsPerSubscription, "azure-orgs", 50, "Azure organizations per subscription (negative: none)")
	flag.IntVar(&cfg.Azure.PageSize, "azure-page-size", 100, "ARM list page size")
	flag.IntVar(&cfg.Azure.Throttle.Capacity, "azure-bucket", 250, "ARM read token bucket capacity")
	flag.Float64Var(&cfg.Azure.Throttle.RefillPerSecond, "azure-refill", 25, "ARM read tokens refilled per second")
	flag.IntVar(&cfg.Azure.SubscriptionThrottle.Capacity, "azure-subscription-bucket", 0,
		"the subscription-wide ARM read bucket's capacity, reported in x-ms-ratelimit-remaining-subscription-global-reads (0: off)")

	flag.IntVar(&cfg.CloudFoundry.Organizations, "cf-orgs", 50, "Cloud Foundry organizations (negative: none)")
	flag.BoolVar(&cfg.CloudFoundry.DisableV2, "cf-disable-v2", false, "switch the Cloud Controller /v2 API off")
	flag.IntVar(&cfg.CloudFoundry.RateLimit.Limit, "cf-rate-limit", 2000, "Cloud Foundry requests per window per user")
	flag.DurationVar(&cfg.CloudFoundry.RateLimit.Window, "cf-rate-window", time.Hour, "Cloud Foundry rate-limit window")
	flag.BoolVar(&cfNoRate, "cf-rate-disabled", false, "turn Cloud Foundry rate limiting off")
	flag.BoolVar(&cfRetryEpoch, "cf-retry-after-epoch", false, "send a CF 429's Retry-After as epoch seconds")
	flag.IntVar(&cfg.CloudFoundry.V2RateLimit.Limit, "cf-v2-rate-limit", 0, "the v2 limiter's requests per window per user, with -V2-API headers (0: off)")
	flag.DurationVar(&cfg.CloudFoundry.V2RateLimit.Window, "cf-v2-rate-window", time.Hour, "the v2 limiter's window")
	flag.BoolVar(&cfg.CloudFoundry.ExactRemaining, "cf-exact-remaining", false, "report X-RateLimit-Remaining exactly, not rounded down to a tenth of the limit")
	flag.BoolVar(&cfg.CloudFoundry.PlainText429, "cf-plain-429", false, "label CF 429 bodies text/plain")

	flag.Var(&faults, "fault", "fault to inject (repeatable), e.g. 429,endpoint=confluent.organizations,page=3,times=5,retry-after=2s;\n"+
		"keys: kind (429|5xx|slow|truncate|foreign-next|placeholder-next|loop|short-page|wrong-total|duplicate|not-found), endpoint, page, at, times (0: unlimited), retry-after, status, delay, origin, loop-to, extra")
	flag.DurationVar(&churn, "churn", 0, "every interval, add, remove and update one item in every list (0: never)")
	flag.Parse()

	cfg.Confluent.Environments = envs
	cfg.Azure.Subscriptions = subs
	cfg.TLSHosts = tlsHosts
	cfg.CloudFoundry.RateLimit.Disabled = cfNoRate
	cfg.CloudFoundry.RetryAfterEpoch = cfRetryEpoch

	srv := cloudsim.New(cfg)
	srv.SetExternalURL(externalURL)
	for _, f := range faults {
		srv.AddFault(f)
	}
	if err := srv.StartAt(addr, useTLS); err != nil {
		return err
	}
	if caOut != "" {
		if err := os.WriteFile(caOut, srv.CertificatePEM(), 0o644); err != nil {
			return fmt.Errorf("write certificate: %w", err)
		}
	}
	describe(srv, caOut)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if churn > 0 {
		go func() {
			t := time.NewTicker(churn)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					srv.Churn()
				}
			}
		}()
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// describe prints where the server listens and the credentials it accepts.
func describe(srv *cloudsim.Server, caOut string) {
	cfg := srv.Config()
	u := srv.URL()
	fmt.Printf("cloudsim listening on %s\n", u)
	if caOut != "" {
		fmt.Printf("certificate written to %s\n", caOut)
	}
	fmt.Println("\nConfluent Cloud  GET /partner/v2/organizations, GET /usm/v1/connect-clusters?environment=…")
	fmt.Println("  organizations take OAuth only (token, or clientID+clientSecret+tokenURL); the API key")
	fmt.Println("  works for connect clusters only (spec.confluentCloud.organizations: false)")
	fmt.Printf("  token URL       %s/oauth2/token\n", u)
	fmt.Printf("  connect clusters take an STS token: identityPoolID=%s (exchanged at %s/sts/v1/oauth2/token)\n",
		strings.Join(cfg.Confluent.IdentityPools, ","), u)
	fmt.Printf("  environments    %s\n", strings.Join(cfg.Confluent.Environments, ", "))
	for _, c := range cfg.Confluent.Credentials {
		fmt.Printf("  accepted        token=%s | clientID=%s clientSecret=%s | connect clusters only: apiKey=%s apiSecret=%s\n",
			c.Token, c.ClientID, c.ClientSecret, c.APIKey, c.APISecret)
	}
	f := cfg.Confluent.Forbidden
	fmt.Printf("  forbidden (403) token=%s | clientID=%s clientSecret=%s | connect clusters only: apiKey=%s apiSecret=%s\n",
		f.Token, f.ClientID, f.ClientSecret, f.APIKey, f.APISecret)

	fmt.Println("\nAzure            ARM endpoint and audience = the URL above; api-version " + cloudsim.AzureAPIVersion)
	fmt.Printf("  authority host  %s/  (DisableInstanceDiscovery: true)\n", u)
	fmt.Printf("  subscriptions   %s\n", strings.Join(cfg.Azure.Subscriptions, ", "))
	for _, c := range cfg.Azure.Credentials {
		fmt.Printf("  accepted        tenantID=%s clientID=%s clientSecret=%s | token=%s\n", c.TenantID, c.ClientID, c.ClientSecret, c.Token)
	}
	a := cfg.Azure.Forbidden
	fmt.Printf("  forbidden (403) tenantID=%s clientID=%s clientSecret=%s | token=%s\n", a.TenantID, a.ClientID, a.ClientSecret, a.Token)

	fmt.Println("\nCloud Foundry    API URL = the URL above; GET /v2/organizations, GET /v3/organizations")
	fmt.Printf("  token URL       %s/oauth/token (password grant client %q, secret %q)\n", u,
		cfg.CloudFoundry.PasswordClientID, cfg.CloudFoundry.PasswordClientSecret)
	for _, c := range cfg.CloudFoundry.Credentials {
		fmt.Printf("  accepted        username=%s password=%s | clientID=%s clientSecret=%s | token=%s\n",
			c.Username, c.Password, c.ClientID, c.ClientSecret, c.Token)
	}
	cf := cfg.CloudFoundry.Forbidden
	fmt.Printf("  forbidden (403) username=%s password=%s | clientID=%s clientSecret=%s | token=%s\n",
		cf.Username, cf.Password, cf.ClientID, cf.ClientSecret, cf.Token)
	fmt.Println()
}
