// Package devenv runs orgsync end to end on one machine: a local control plane
// (envtest's kube-apiserver and etcd), the cloudsim remote-API simulator and the
// operator's manager in-process, with the shipped defaults. The demo is built on it;
// the benchmark (cmd/bench) runs the built binary instead.
package devenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/operator"
)

// Namespace is where the operator reads credentials Secrets.
const Namespace = "orgsync-system"

// Options configure an environment.
type Options struct {
	// CRDDir holds the CRD manifests (config/crd/bases).
	CRDDir string
	// Sim is the simulated remote world.
	Sim cloudsim.Config
	// KubeconfigPath, when set, receives a kubeconfig for the local control plane.
	KubeconfigPath string
	// ControlPlaneOnly starts neither the simulator nor the operator: for running
	// the real binary (and cmd/cloudsim) against the local control plane.
	ControlPlaneOnly bool
}

// Env is a running environment.
type Env struct {
	Client client.WithWatch
	// Config is an admin's client configuration for the local control plane.
	Config *rest.Config
	Sim    *cloudsim.Server
	Writes *WriteCounter
	// Kubeconfig is the path of the written kubeconfig, if any.
	Kubeconfig string

	testEnv *envtest.Environment
	cancel  context.CancelFunc
	done    chan error
}

// Start brings up the control plane, the simulator and the manager. KUBEBUILDER_ASSETS
// must name the control plane binaries (hack/envtest-assets.sh prints it).
func Start(ctx context.Context, opts Options) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is unset: run through make, or export KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh)")
	}
	e := &Env{Writes: &WriteCounter{}, done: make(chan error, 1)}
	e.testEnv = &envtest.Environment{CRDDirectoryPaths: []string{opts.CRDDir}, ErrorIfCRDPathMissing: true}
	cfg, err := e.testEnv.Start()
	if err != nil {
		return nil, fmt.Errorf("start the control plane: %w", err)
	}
	e.Config = cfg
	if e.Client, err = client.NewWithWatch(cfg, client.Options{Scheme: operator.NewScheme()}); err != nil {
		e.Stop()
		return nil, err
	}
	if err := e.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}); err != nil {
		e.Stop()
		return nil, err
	}
	if opts.KubeconfigPath != "" {
		if err := writeKubeconfig(e.testEnv, opts.KubeconfigPath); err != nil {
			e.Stop()
			return nil, err
		}
		e.Kubeconfig = opts.KubeconfigPath
	}
	if opts.ControlPlaneOnly {
		return e, nil
	}
	e.Sim = cloudsim.New(opts.Sim)
	e.Sim.StartTLS()

	// The shipped client-side limits, so the demo runs what users run.
	mgrCfg := operator.DefaultFlags().RESTConfig(cfg)
	mgrCfg.Wrap(e.Writes.Wrap)
	mgr, err := operator.New(mgrCfg, operator.Options{
		Namespace: Namespace,
		Transport: Trusting(e.Sim),
		Manager:   ManagerOptions(),
	})
	if err != nil {
		e.Stop()
		return nil, err
	}
	mgrCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.done <- mgr.Start(mgrCtx) }()
	return e, nil
}

// ManagerOptions are the manager options of a local environment: no metrics or probe
// listeners, so several can run side by side.
func ManagerOptions() ctrl.Options {
	return ctrl.Options{Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"}
}

// EtcdURL is where the control plane's etcd serves its clients (and its metrics), on
// loopback.
func (e *Env) EtcdURL() *url.URL {
	return e.testEnv.ControlPlane.Etcd.URL
}

// Stop shuts everything down.
func (e *Env) Stop() {
	if e.cancel != nil {
		e.cancel()
		if err := <-e.done; err != nil {
			fmt.Fprintln(os.Stderr, "devenv: the manager stopped with an error:", err)
		}
	}
	if e.Sim != nil {
		e.Sim.Close()
	}
	if e.testEnv != nil {
		_ = e.testEnv.Stop()
	}
}

// Trusting is a transport that trusts the simulators' self-signed certificates.
func Trusting(servers ...*cloudsim.Server) http.RoundTripper {
	pool := x509.NewCertPool()
	for _, s := range servers {
		pool.AppendCertsFromPEM(s.CertificatePEM())
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t
}

// AccountSpec returns a CloudAccount spec reading the simulator's lists for provider,
// and the credentials Secret data the simulator accepts.
func AccountSpec(sim *cloudsim.Server, provider v1alpha1.Provider) (v1alpha1.CloudAccountSpec, map[string]string) {
	cfg := sim.Config()
	switch provider {
	case v1alpha1.ProviderConfluentCloud:
		c := cfg.Confluent.Credentials[0]
		return v1alpha1.CloudAccountSpec{Provider: provider, ConfluentCloud: &v1alpha1.ConfluentCloudSpec{
				Endpoint: sim.URL(), ConnectClusters: &v1alpha1.ConnectClustersSpec{Environments: cfg.Confluent.Environments},
			}},
			// partner/v2 organizations take OAuth only; an API key would serve connect clusters alone.
			// usm/v1 takes the OAuth token only once the STS exchanged it with an identity pool.
			map[string]string{"clientID": c.ClientID, "clientSecret": c.ClientSecret, "tokenURL": sim.URL() + "/oauth2/token",
				"identityPoolID": cfg.Confluent.IdentityPools[0]}
	case v1alpha1.ProviderAzure:
		c := cfg.Azure.Credentials[0]
		return v1alpha1.CloudAccountSpec{Provider: provider, Azure: &v1alpha1.AzureSpec{
				Endpoint: sim.URL(), AuthorityHost: sim.URL() + "/", SubscriptionID: cfg.Azure.Subscriptions[0],
			}},
			map[string]string{"tenantID": c.TenantID, "clientID": c.ClientID, "clientSecret": c.ClientSecret}
	default:
		c := cfg.CloudFoundry.Credentials[0]
		return v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderCloudFoundry, CloudFoundry: &v1alpha1.CloudFoundrySpec{APIURL: sim.URL()}},
			map[string]string{"username": c.Username, "password": c.Password}
	}
}

// CreateAccount creates a Secret that lends its credentials to the account, and a
// CloudAccount named name.
func (e *Env) CreateAccount(ctx context.Context, name string, spec v1alpha1.CloudAccountSpec, creds map[string]string) error {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: name + "-credentials", Namespace: Namespace,
		Annotations: map[string]string{v1alpha1.AnnotationAccounts: name, v1alpha1.AnnotationOrigins: OriginsOf(spec, creds)},
	}, StringData: creds}
	if err := e.Client.Create(ctx, secret); err != nil {
		return err
	}
	spec.CredentialsSecretRef = v1alpha1.SecretReference{Name: secret.Name}
	return e.Client.Create(ctx, &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec})
}

// RequestSync asks for a sync now and returns the request's token.
func (e *Env) RequestSync(ctx context.Context, name string) (string, error) {
	acct := &v1alpha1.CloudAccount{}
	if err := e.Client.Get(ctx, client.ObjectKey{Name: name}, acct); err != nil {
		return "", err
	}
	before := acct.DeepCopy()
	token := time.Now().UTC().Format(time.RFC3339Nano)
	metav1.SetMetaDataAnnotation(&acct.ObjectMeta, v1alpha1.AnnotationSyncRequestedAt, token)
	return token, e.Client.Patch(ctx, acct, client.MergeFrom(before))
}

// WaitSynced waits for a complete sync (the one answering token, when given). It
// watches the account rather than polling it: the benchmark waits this way while it
// measures the API server, and a watch costs the server next to nothing. Not
// watchtools.UntilWithSync: its informer took 1.1 s to sync before the first check,
// which would count in the benchmark's clock.
func (e *Env) WaitSynced(ctx context.Context, name, token string) (*v1alpha1.CloudAccount, error) {
	// One read first, so that an account that does not exist fails at once.
	if err := e.Client.Get(ctx, client.ObjectKey{Name: name}, &v1alpha1.CloudAccount{}); err != nil {
		return nil, err
	}
	for {
		// Without a resourceVersion the watch starts with the account as it is.
		w, err := e.Client.Watch(ctx, &v1alpha1.CloudAccountList{}, client.MatchingFields{"metadata.name": name})
		if err != nil {
			return nil, err
		}
		acct, done, err := syncedIn(ctx, w, name, token)
		w.Stop()
		if done || err != nil {
			return acct, err
		}
		// The server ended the watch (its timeout): watch again, not in a tight loop.
		select {
		case <-ctx.Done():
			return acct, fmt.Errorf("waiting for account %s: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// syncedIn reads w's events until the account reports the sync, stalls, or w ends.
func syncedIn(ctx context.Context, w watch.Interface, name, token string) (acct *v1alpha1.CloudAccount, done bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return acct, false, fmt.Errorf("waiting for account %s: %w", name, ctx.Err())
		case ev, open := <-w.ResultChan():
			if !open {
				return acct, false, nil
			}
			switch ev.Type {
			case watch.Error:
				return acct, false, fmt.Errorf("watching account %s: %w", name, apierrors.FromObject(ev.Object))
			case watch.Deleted:
				return acct, false, fmt.Errorf("account %s was deleted", name)
			case watch.Bookmark:
				continue
			}
			a, ok := ev.Object.(*v1alpha1.CloudAccount)
			if !ok {
				continue
			}
			acct = a
			handled := token == "" || acct.Status.LastHandledSyncRequest == token
			if acct.Status.LastSyncTime != nil && handled {
				return acct, true, nil
			}
			if c := meta.FindStatusCondition(acct.Status.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
				return acct, true, fmt.Errorf("account %s stalled: %s: %s", name, c.Reason, c.Message)
			}
		}
	}
}

// WriteCounter counts the writes that reach the API server for orgsync's kinds,
// as they go over the wire, and the watches opened on them and still open.
type WriteCounter struct {
	mu sync.Mutex
	// counts are by "METHOD resource"; watches (opened) and open by watchKey.
	counts, watches, open map[string]int
}

// Wrap is a rest.Config transport wrapper.
func (w *WriteCounter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if !strings.Contains(req.URL.Path, "/apis/cloud.orgsync.io/") {
			return rt.RoundTrip(req)
		}
		if req.Method != http.MethodGet {
			w.add(func() { w.counts[req.Method+" "+resourceOf(req.URL.Path)]++ })
			return rt.RoundTrip(req)
		}
		query := req.URL.Query()
		if query.Get("watch") != "true" && query.Get("watch") != "1" {
			return rt.RoundTrip(req)
		}
		key := watchKey(resourceOf(req.URL.Path), query.Get("labelSelector"))
		w.add(func() { w.watches[key]++ })
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		// The watch is open until its client closes the body.
		w.add(func() { w.open[key]++ })
		resp.Body = &closeOnce{ReadCloser: resp.Body, onClose: func() { w.add(func() { w.open[key]-- }) }}
		return resp, nil
	})
}

// add changes the counts under the lock.
func (w *WriteCounter) add(change func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.counts == nil {
		w.counts, w.watches, w.open = map[string]int{}, map[string]int{}, map[string]int{}
	}
	change()
}

// Watches is how many watches were opened so far on resource (organizations, say)
// with exactly labelSelector, and how many of them are still open.
func (w *WriteCounter) Watches(resource, labelSelector string) (opened, open int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := watchKey(resource, labelSelector)
	return w.watches[key], w.open[key]
}

func watchKey(resource, labelSelector string) string { return resource + "?" + labelSelector }

// closeOnce calls onClose the first time the body is closed.
type closeOnce struct {
	io.ReadCloser
	once    sync.Once
	onClose func()
}

func (c *closeOnce) Close() error {
	c.once.Do(c.onClose)
	return c.ReadCloser.Close()
}

// MirrorWrites is the number of writes to Organizations and ConnectClusters so far.
func (w *WriteCounter) MirrorWrites() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for k, v := range w.counts {
		if strings.Contains(k, "organizations") || strings.Contains(k, "connectclusters") {
			n += v
		}
	}
	return n
}

// Snapshot returns the counts by "METHOD resource[/subresource]".
func (w *WriteCounter) Snapshot() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.counts))
	for k, v := range w.counts {
		out[k] = v
	}
	return out
}

// resourceOf turns /apis/cloud.orgsync.io/v1alpha1/organizations/x/status into organizations/status.
func resourceOf(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) < 4 {
		return path
	}
	res := parts[3]
	if len(parts) >= 6 {
		res += "/" + parts[5]
	}
	return res
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// AddUser returns a client configuration and a kubeconfig for a user of the local
// control plane (authenticated by a client certificate; what it may do is up to RBAC).
func (e *Env) AddUser(name string, groups ...string) (*rest.Config, []byte, error) {
	user, err := e.testEnv.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, nil, err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, nil, err
	}
	return user.Config(), kubeconfig, nil
}

// writeKubeconfig writes a kubeconfig for an admin user of the local control plane.
func writeKubeconfig(env *envtest.Environment, path string) error {
	user, err := env.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// OriginsOf is the value of the origins annotation that allows every address the
// spec and the Secret's data name: what a Secret's owner writes for a private
// endpoint, here the simulator's.
func OriginsOf(spec v1alpha1.CloudAccountSpec, creds map[string]string) string {
	var urls []string
	switch {
	case spec.ConfluentCloud != nil:
		urls = append(urls, spec.ConfluentCloud.Endpoint)
	case spec.Azure != nil:
		urls = append(urls, spec.Azure.Endpoint, spec.Azure.AuthorityHost)
	case spec.CloudFoundry != nil:
		urls = append(urls, spec.CloudFoundry.APIURL, spec.CloudFoundry.TokenURL)
	}
	urls = append(urls, creds["tokenURL"])
	var origins []string
	for _, raw := range urls {
		if u, err := url.Parse(raw); err == nil && u.Host != "" && !slices.Contains(origins, u.Scheme+"://"+u.Host) {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	return strings.Join(origins, ",")
}
