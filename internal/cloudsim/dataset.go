package cloudsim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dataset holds every simulated list.
type dataset struct {
	confluentOrgs *Collection[ConfluentOrganization]
	cfOrgs        *Collection[CFOrganization]

	mu              sync.Mutex
	connect         map[string]*Collection[ConnectCluster]    // by environment
	azure           map[string]*Collection[AzureOrganization] // by lower-case subscription
	azureGroups     map[string]map[string]string              // subscription → lower rg → rg
	confluentOrgCRN string                                    // the caller's own organization id, used in resource names
}

var (
	epoch  = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	future = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC) // deletions still pending
)

func newDataset(cfg Config) *dataset {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	g := &gen{rng: rng}
	d := &dataset{
		confluentOrgs: newConfluentOrgs(),
		cfOrgs:        newCFOrgs(),
		connect:       map[string]*Collection[ConnectCluster]{},
		azure:         map[string]*Collection[AzureOrganization]{},
		azureGroups:   map[string]map[string]string{},
	}
	d.confluentOrgCRN = g.uuid()

	orgs := make([]ConfluentOrganization, cfg.Confluent.Organizations)
	for i := range orgs {
		orgs[i] = g.confluentOrg(i)
	}
	d.confluentOrgs.Add(orgs...)

	for _, env := range cfg.Confluent.Environments {
		ccs := make([]ConnectCluster, cfg.Confluent.ConnectClustersPerEnvironment)
		for i := range ccs {
			ccs[i] = g.connectCluster(env, i)
		}
		d.connectClusters(env).Add(ccs...)
	}

	for _, sub := range cfg.Azure.Subscriptions {
		groups := make([]string, cfg.Azure.ResourceGroups)
		for i := range groups {
			groups[i] = fmt.Sprintf("orgsync-rg-%d", i+1)
			d.addResourceGroup(sub, groups[i])
		}
		items := make([]AzureOrganization, cfg.Azure.OrganizationsPerSubscription)
		for i := range items {
			items[i] = g.azureOrg(groups[i%len(groups)], i)
		}
		d.azureOrgs(sub).Add(items...)
	}

	cf := make([]CFOrganization, cfg.CloudFoundry.Organizations)
	for i := range cf {
		cf[i] = g.cfOrg(i)
	}
	d.cfOrgs.Add(cf...)
	return d
}

// connectClusters returns the collection of an environment, creating it.
func (d *dataset) connectClusters(env string) *Collection[ConnectCluster] {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.connect[env]
	if !ok {
		c = newConnectClusters()
		d.connect[env] = c
	}
	return c
}

// lookupConnectClusters returns the collection of an environment, if it exists.
func (d *dataset) lookupConnectClusters(env string) (*Collection[ConnectCluster], bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.connect[env]
	return c, ok
}

// azureOrgs returns the collection of a subscription, creating the subscription.
func (d *dataset) azureOrgs(sub string) *Collection[AzureOrganization] {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := strings.ToLower(sub)
	c, ok := d.azure[k]
	if !ok {
		c = newAzureOrgs()
		d.azure[k] = c
	}
	return c
}

func (d *dataset) lookupAzureOrgs(sub string) (*Collection[AzureOrganization], bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.azure[strings.ToLower(sub)]
	return c, ok
}

func (d *dataset) addResourceGroup(sub, rg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := strings.ToLower(sub)
	if d.azureGroups[k] == nil {
		d.azureGroups[k] = map[string]string{}
	}
	d.azureGroups[k][strings.ToLower(rg)] = rg
}

// resourceGroup returns the canonical name of a resource group, which exists
// when it was configured or holds an organization.
func (d *dataset) resourceGroup(sub, rg string) (string, bool) {
	d.mu.Lock()
	name, ok := d.azureGroups[strings.ToLower(sub)][strings.ToLower(rg)]
	d.mu.Unlock()
	if ok {
		return name, true
	}
	c, found := d.lookupAzureOrgs(sub)
	if !found {
		return "", false
	}
	c.view(func(items []AzureOrganization) {
		for i := range items {
			if strings.EqualFold(items[i].ResourceGroup, rg) {
				name, ok = items[i].ResourceGroup, true
				return
			}
		}
	})
	return name, ok
}

// gen draws deterministic items from a seeded generator.
type gen struct{ rng *rand.Rand }

func (g *gen) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	a = a&^0xf000 | 0x4000     // version 4
	b = b&^(0xc<<60) | 0x8<<60 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (g *gen) alnum(n int, alphabet string) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(alphabet[g.rng.IntN(len(alphabet))])
	}
	return sb.String()
}

func (g *gen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *gen) timeAfter(t time.Time, maxDays int) time.Time {
	return t.Add(time.Duration(g.rng.Int64N(int64(maxDays) * 24 * int64(time.Hour)))).Truncate(time.Millisecond)
}

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	base64ish  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

var (
	companies = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne"}
	suffixes  = []string{"Corp", "Labs", "Group", "Retail", "Bank", "Logistics"}
	cfPrefix  = []string{"platform", "platform-dev", "data", "data-science", "web", "web-shop", "ml", "mobile"}
	locations = []string{"West US", "East US 2", "West Europe", "North Europe", "Southeast Asia"}
	regions   = map[string][]string{
		"AWS":   {"us-east-1", "us-west-2", "eu-central-1"},
		"GCP":   {"us-central1", "europe-west1"},
		"AZURE": {"eastus", "westeurope"},
	}
	clouds = []string{"AWS", "GCP", "AZURE"}
)

func (g *gen) confluentOrg(i int) ConfluentOrganization {
	created := g.timeAfter(epoch, 400)
	o := ConfluentOrganization{
		ID:        g.uuid(),
		Name:      fmt.Sprintf("%s %s %d", g.pick(companies), g.pick(suffixes), i),
		CreatedAt: created,
		UpdatedAt: g.timeAfter(created, 200),
	}
	if i%7 != 3 {
		o.SSOURL = "https://confluent.cloud/login/sso/AzureAD-OIDC-Conn-" + g.alnum(8, lowerAlnum)
		o.SSOTenantID = g.uuid()
	}
	switch i % 25 {
	case 11: // deleted in the past
		o.DeletedAt = g.timeAfter(o.UpdatedAt, 30)
	case 17: // being deleted
		o.DeletedAt = g.timeAfter(future, 365)
	}
	return o
}

func (g *gen) connectCluster(env string, i int) ConnectCluster {
	cloud := g.pick(clouds)
	return ConnectCluster{
		ID:                                "usmcc-" + g.alnum(4, lowerAlnum) + base36(i, 4),
		Environment:                       env,
		ConfluentPlatformConnectClusterID: fmt.Sprintf("connect-group-%s%d", g.alnum(4, lowerAlnum), i),
		KafkaClusterID:                    g.alnum(22, base64ish),
		USMKafkaClusterID:                 "usmkc-" + g.alnum(5, lowerAlnum),
		Cloud:                             cloud,
		Region:                            g.pick(regions[cloud]),
	}
}

func (g *gen) azureOrg(rg string, i int) AzureOrganization {
	created := g.timeAfter(epoch, 400)
	state := "Succeeded"
	if g.rng.IntN(10) < 3 {
		state = g.pick(AzureProvisioningStates)
	}
	offer := "Subscribed"
	if state != "Succeeded" {
		offer = g.pick(AzureOfferStatuses)
	}
	o := AzureOrganization{
		Name:              fmt.Sprintf("confluent-org-%05d", i),
		ResourceGroup:     rg,
		Location:          g.pick(locations),
		ProvisioningState: state,
		OfferDetail: AzureOfferDetail{
			ID:          "confluent-cloud-azure-prod",
			PlanID:      "confluent-cloud-azure-payg-prod",
			PlanName:    "Confluent Cloud - Pay as you Go",
			PublisherID: "confluentinc",
			Status:      offer,
			TermUnit:    "P1M",
		},
		OrganizationID: g.uuid(),
		SSOURL:         "https://confluent.cloud/login/sso/AzureAD-OIDC-Conn-" + g.alnum(8, lowerAlnum),
		CreatedTime:    created,
		SystemData: AzureSystemData{
			CreatedAt: created, CreatedBy: "deployer@contoso.com", CreatedByType: "User",
			LastModifiedAt: g.timeAfter(created, 100), LastModifiedBy: g.uuid(), LastModifiedByType: "Application",
		},
	}
	if i%4 != 0 {
		o.Tags = map[string]string{"Environment": g.pick([]string{"Dev", "Test", "Prod"})}
	}
	if i%3 == 1 {
		first, last := g.pick([]string{"Ada", "Grace", "Alan", "Edsger"}), g.pick([]string{"Lovelace", "Hopper", "Turing", "Dijkstra"})
		mail := strings.ToLower(first+"."+last) + "@contoso.com"
		o.UserDetail = &AzureUserDetail{AADEmail: mail, EmailAddress: mail, FirstName: first, LastName: last, UserPrincipalName: mail}
	}
	if i%10 == 5 {
		o.LinkOrganizationToken = "link-" + g.alnum(32, base64ish)
	}
	if i%6 == 2 {
		o.OfferDetail.PrivateOfferID = "private-" + g.alnum(6, lowerAlnum)
		o.OfferDetail.PrivateOfferIDs = []string{o.OfferDetail.PrivateOfferID}
		o.OfferDetail.TermID = g.alnum(12, lowerAlnum)
	}
	return o
}

var cfQuotas = []string{
	"dcb680a9-b190-4838-a3d2-b84aa17517a6",
	"3a7cb5a4-2f5e-4b7a-9c55-1f0e0d6f2b11",
	"7f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
}

func (g *gen) cfOrg(i int) CFOrganization {
	// Creation times follow the list order, as database ids do.
	created := epoch.Add(time.Duration(i)*time.Minute + time.Duration(g.rng.IntN(50))*time.Second)
	o := CFOrganization{
		GUID:                g.uuid(),
		Name:                fmt.Sprintf("%s-%05d", cfPrefix[i%len(cfPrefix)], i),
		Status:              "active",
		BillingEnabled:      g.rng.IntN(2) == 0,
		QuotaDefinitionGUID: g.pick(cfQuotas),
		CreatedAt:           created,
		UpdatedAt:           g.timeAfter(created, 100),
	}
	if g.rng.IntN(100) < 15 {
		o.Status = "suspended"
	}
	if i%5 == 0 {
		o.Labels = map[string]string{"env": g.pick([]string{"dev", "prod"})}
		o.Annotations = map[string]string{"owner": "team-" + g.alnum(4, lowerAlnum)}
	}
	return o
}

// base36 renders i in base 36, zero-padded to width, so generated ids stay unique.
func base36(i, width int) string {
	s := strconv.FormatInt(int64(i), 36)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}
