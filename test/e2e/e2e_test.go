//go:build e2e

// Package e2e tests orgsync as its users run it, on a real one-node cluster
// (hack/node/up.sh): the chart installed with helm from an OCI registry on loopback
// (oci://127.0.0.1:PORT/charts/orgsync), the image it pins pulled from there by the
// kubelet, the previous release upgraded to this one, the simulated cloud APIs of
// cmd/cloudsim, and only kubectl, helm and HTTP to look at the result. hack/e2e.sh
// starts the registry and the node, publishes both releases and runs this test; it
// reads the node's variables (KUBECONFIG, NODE_*) and E2E_* from the environment.
//
// The steps build on each other, so the test stops at the first that fails.
package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/image"
)

const (
	namespace = "orgsync-system"
	release   = "orgsync"
	// simPort serves the three small lists, bigPort one large Cloud Foundry list
	// for the leader hand-over.
	simPort  = 18443
	bigPort  = 18444
	bigOrgs  = 1200
	caConfig = "cloudsim-ca"
)

// e2e holds what the steps share.
type e2e struct {
	t       *testing.T
	root    string
	kubectl string
	helm    string
	work    string
	podHost string
	// chart is oci://REGISTRY/charts/orgsync; version and previous are its two
	// releases' versions, image and previousImage the images they pin.
	chart, version, previous string
	image, previousImage     string
	registryLog              string
}

func TestOrgsyncOnARealNode(t *testing.T) {
	e := setup(t)
	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"install the previous release from the registry into a restricted namespace", e.install},
		{"pod runs as 65532 on a read-only root", e.securityContextInForce},
		{"mirrors of all providers appear", e.mirrorsAppear},
		{"upgrade from the previous release keeps the mirrors", e.upgradeFromPrevious},
		{"helm test passes", e.helmTest},
		{"metrics need the metrics-reader role", e.metricsAuthorization},
		{"leader hand-over in a large sync", e.leaderHandOver},
		{"helm upgrade rolls the pod, syncing continues", e.upgradeRolls},
		{"helm uninstall keeps CRDs and users' objects", e.uninstallKeeps},
	}
	for _, s := range steps {
		start := time.Now()
		ok := t.Run(s.name, s.run)
		t.Logf("step %q took %s", s.name, time.Since(start).Round(100*time.Millisecond))
		if !ok {
			t.FailNow()
		}
	}
}

func setup(t *testing.T) *e2e {
	for _, v := range []string{"KUBECONFIG", "NODE_KUBECTL", "NODE_NAME", "NODE_POD_HOST", "NODE_API_PORT", "NODE_FORWARD", "E2E_HELM", "E2E_CLOUDSIM", "E2E_WORK",
		"E2E_CHART", "E2E_VERSION", "E2E_IMAGE", "E2E_PREVIOUS_VERSION", "E2E_PREVIOUS_IMAGE", "E2E_REGISTRY_LOG"} {
		if os.Getenv(v) == "" {
			t.Fatalf("%s is unset: run the e2e test with 'make test-e2e' (hack/e2e.sh)", v)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, root: root, kubectl: os.Getenv("NODE_KUBECTL"), helm: os.Getenv("E2E_HELM"),
		work: os.Getenv("E2E_WORK"), podHost: os.Getenv("NODE_POD_HOST"),
		chart: os.Getenv("E2E_CHART"), version: os.Getenv("E2E_VERSION"), previous: os.Getenv("E2E_PREVIOUS_VERSION"),
		image: os.Getenv("E2E_IMAGE"), previousImage: os.Getenv("E2E_PREVIOUS_IMAGE"), registryLog: os.Getenv("E2E_REGISTRY_LOG")}

	// cloudsim listens on loopback; pods reach it through a forwarder on the pod
	// network's host address, which its certificate names.
	var cas []byte
	for _, sim := range []struct {
		port int
		args []string
	}{
		// The previous release predates the Confluent STS exchange and sends the
		// identity provider's token to usm/v1, which Confluent Cloud (and cloudsim by
		// default) refuses; this one exchanges it. The upgrade step needs the old
		// release's connect clusters, so this simulator lets usm/v1 take both. The
		// refusal itself is proven in internal/controller's STS tests.
		{simPort, []string{"-confluent-idp-tokens-on-usm"}},
		{bigPort, []string{"-cf-orgs", fmt.Sprint(bigOrgs), "-confluent-orgs", "-1", "-connect-clusters", "-1", "-azure-orgs", "-1"}},
	} {
		ca := filepath.Join(e.work, fmt.Sprintf("cloudsim-%d.pem", sim.port))
		args := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", sim.port), "-tls-host", e.podHost, "-ca-out", ca}, sim.args...)
		e.background(fmt.Sprintf("cloudsim-%d", sim.port), os.Getenv("E2E_CLOUDSIM"), args...)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", sim.port))
		pem, err := os.ReadFile(ca)
		if err != nil {
			t.Fatal(err)
		}
		cas = append(cas, pem...)
	}
	e.background("forward-cloudsim", os.Getenv("NODE_FORWARD"),
		fmt.Sprintf("%s:%d=127.0.0.1:%d", e.podHost, simPort, simPort),
		fmt.Sprintf("%s:%d=127.0.0.1:%d", e.podHost, bigPort, bigPort))
	if err := os.WriteFile(filepath.Join(e.work, "cloudsim-ca.pem"), cas, 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// background starts a helper process and stops it, by its PID, when the test ends.
func (e *e2e) background(name, bin string, args ...string) {
	log, err := os.Create(filepath.Join(e.work, name+".log"))
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	// Should the test itself be killed, its helpers go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
}

// run runs a command as a user would type it and returns its stdout.
func (e *e2e) run(t *testing.T, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(),
		"E2E_KUBECTL="+e.kubectl, "E2E_API_HOST="+e.podHost, "E2E_API_PORT="+os.Getenv("NODE_API_PORT"),
		"E2E_CA_CONFIGMAP="+caConfig)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, errb.String())
	}
	return out.String(), err
}

func (e *e2e) k(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.run(t, "", e.kubectl, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *e2e) apply(t *testing.T, manifest string) {
	t.Helper()
	if _, err := e.run(t, manifest, e.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

func (e *e2e) helmRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.run(t, "", e.helm, args...)
	if err != nil {
		e.explainStall(t)
		t.Fatal(err)
	}
	return out
}

// explainStall logs what a failed helm --wait leaves unsaid: whether the node was
// under pressure (a nearly full disk taints it and evicts pods), and what happened
// to the namespace's pods.
func (e *e2e) explainStall(t *testing.T) {
	t.Helper()
	for _, args := range [][]string{
		{"get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}: taints {.spec.taints}{"\n"}{range .status.conditions[*]}  {.type}={.status} {.message}{"\n"}{end}{end}`},
		{"-n", namespace, "get", "pods", "-o", "wide"},
		{"-n", namespace, "get", "events", "--sort-by=.lastTimestamp"},
	} {
		out, err := e.run(t, "", e.kubectl, args...)
		if err != nil {
			t.Logf("kubectl %s: %v", strings.Join(args[:3], " "), err)
			continue
		}
		t.Logf("kubectl %s:\n%s", strings.Join(args[:3], " "), out)
	}
}

// getJSON reads kubectl get -o json into v.
func (e *e2e) getJSON(t *testing.T, v any, args ...string) error {
	t.Helper()
	out, err := e.run(t, "", e.kubectl, append([]string{"get", "-o", "json"}, args...)...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), v)
}

// fromRegistry names the chart of one release in the registry; the registry on
// loopback speaks plain HTTP. The chart pins its image by digest: nothing about
// the image is set here.
func (e *e2e) fromRegistry(version string) []string {
	return []string{e.chart, "--version", version, "--plain-http"}
}

// helmValues adapts the chart to the test node (test/e2e/postrender.sh).
func (e *e2e) helmValues() []string {
	return []string{"--post-renderer", filepath.Join(e.root, "test/e2e/postrender.sh")}
}

func (e *e2e) install(t *testing.T) {
	e.apply(t, fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
`, namespace))
	cas, err := os.ReadFile(filepath.Join(e.work, "cloudsim-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.run(t, "", e.kubectl, "-n", namespace, "create", "configmap", caConfig, "--from-literal=ca.crt="+string(cas)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.helmRun(t, append(append([]string{"install", release}, e.fromRegistry(e.previous)...), append([]string{"-n", namespace,
		"--wait", "--timeout", "3m"}, e.helmValues()...)...)...)
	t.Logf("helm install %s --version %s --wait: %s", e.chart, e.previous, time.Since(start).Round(100*time.Millisecond))
	pod := e.onlyPod(t)
	t.Logf("pod %s Ready on the pod network at %s", pod.Metadata.Name, pod.Status.PodIP)
	g := NewWithT(t)
	g.Expect(pod.Spec.HostNetwork).To(BeFalse())
	g.Expect(pod.Status.PodIP).To(HavePrefix("198.18.0."))
	e.pulledByTheKubelet(t, pod, e.previousImage)
}

// pulledByTheKubelet checks that the pod runs the image the release pinned, and
// that containerd fetched it from the registry (nothing is imported into the node).
func (e *e2e) pulledByTheKubelet(t *testing.T, p pod, ref string) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(p.Spec.Containers[0].Image).To(Equal(ref), "the chart pins the release's image by digest")
	g.Expect(p.Status.ContainerStatuses[0].ImageID).To(Equal(ref), "the image the kubelet resolved")
	digest := ref[strings.LastIndex(ref, "@")+1:]
	log, err := os.ReadFile(e.registryLog)
	g.Expect(err).NotTo(HaveOccurred())
	var pulls []string
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "GET /v2/orgsync/manifests/"+digest+" 200") && strings.Contains(line, `user-agent="containerd/`) {
			pulls = append(pulls, line)
		}
	}
	g.Expect(pulls).NotTo(BeEmpty(), "containerd never fetched %s from the registry", ref)
	t.Logf("pod %s runs %s, pulled by containerd: %s", p.Metadata.Name, ref, pulls[0])
}

// pod is the part of a Pod the test reads.
type pod struct {
	Metadata struct {
		Name              string     `json:"name"`
		UID               string     `json:"uid"`
		DeletionTimestamp *time.Time `json:"deletionTimestamp"`
	} `json:"metadata"`
	Spec struct {
		HostNetwork bool `json:"hostNetwork"`
		Containers  []struct {
			Name            string         `json:"name"`
			Image           string         `json:"image"`
			SecurityContext map[string]any `json:"securityContext"`
		} `json:"containers"`
	} `json:"spec"`
	Status struct {
		PodIP             string `json:"podIP"`
		ContainerStatuses []struct {
			Name        string `json:"name"`
			Ready       bool   `json:"ready"`
			ContainerID string `json:"containerID"`
			ImageID     string `json:"imageID"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

// readyPods lists the release's pods that are Ready and not being deleted.
func (e *e2e) readyPods(t *testing.T) ([]pod, error) {
	var list struct {
		Items []pod `json:"items"`
	}
	if err := e.getJSON(t, &list, "pods", "-n", namespace, "-l", "app.kubernetes.io/instance="+release); err != nil {
		return nil, err
	}
	var ready []pod
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp == nil && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].Ready {
			ready = append(ready, p)
		}
	}
	return ready, nil
}

func (e *e2e) onlyPod(t *testing.T) pod {
	t.Helper()
	var p []pod
	NewWithT(t).Eventually(func() ([]pod, error) {
		var err error
		p, err = e.readyPods(t)
		return p, err
	}).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(HaveLen(1))
	return p[0]
}

// securityContextInForce looks at the manager's process itself, from the node: its
// uid in /proc/PID/status and the flags of its root mount in /proc/PID/mountinfo.
func (e *e2e) securityContextInForce(t *testing.T) {
	g := NewWithT(t)
	p := e.onlyPod(t)
	id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
	ctr := strings.Fields(os.Getenv("NODE_CTR"))
	out, err := e.run(t, "", ctr[0], append(ctr[1:], "tasks", "ls")...)
	g.Expect(err).NotTo(HaveOccurred())
	pid := ""
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == id {
			pid = f[1]
		}
	}
	g.Expect(pid).NotTo(BeEmpty(), "no task for container %s in:\n%s", id, out)

	status, err := os.ReadFile("/proc/" + pid + "/status")
	g.Expect(err).NotTo(HaveOccurred())
	var uid, gid string
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Uid:") {
			uid = strings.Join(strings.Fields(line)[1:], " ")
		}
		if strings.HasPrefix(line, "Gid:") {
			gid = strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	t.Logf("manager process %s (container %.12s): Uid: %s; Gid: %s", pid, id, uid, gid)
	want := fmt.Sprint(image.UID)
	g.Expect(strings.Fields(uid)).To(HaveEach(want), "real, effective, saved and filesystem uid")

	mounts, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	g.Expect(err).NotTo(HaveOccurred())
	rootOpts := ""
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[4] == "/" {
			rootOpts = f[5]
			t.Logf("manager's root mount: %s", line)
		}
	}
	g.Expect(strings.Split(rootOpts, ",")).To(ContainElement("ro"), "root filesystem mount options")
	// And the kernel agrees: a write to / is refused.
	g.Expect(os.WriteFile("/proc/"+pid+"/root/e2e-write-test", nil, 0o644)).To(MatchError(ContainSubstring("read-only file system")))
}

func (e *e2e) accountManifest(name, provider string, port int) string {
	cfg := cloudsim.New(cloudsim.Config{}).Config()
	url := fmt.Sprintf("https://%s:%d", e.podHost, port)
	var spec, secret string
	switch provider {
	case "ConfluentCloud":
		c := cfg.Confluent.Credentials[0]
		spec = fmt.Sprintf("confluentCloud:\n    endpoint: %s\n    connectClusters:\n      environments: [%s]", url, strings.Join(cfg.Confluent.Environments, ", "))
		secret = fmt.Sprintf("clientID: %q\n  clientSecret: %q\n  tokenURL: %q\n  identityPoolID: %q",
			c.ClientID, c.ClientSecret, url+"/oauth2/token", cfg.Confluent.IdentityPools[0])
	case "Azure":
		c := cfg.Azure.Credentials[0]
		spec = fmt.Sprintf("azure:\n    endpoint: %s\n    authorityHost: %s/\n    subscriptionID: %q", url, url, cfg.Azure.Subscriptions[0])
		secret = fmt.Sprintf("tenantID: %q\n  clientID: %q\n  clientSecret: %q", c.TenantID, c.ClientID, c.ClientSecret)
	default:
		c := cfg.CloudFoundry.Credentials[0]
		spec = fmt.Sprintf("cloudFoundry:\n    apiURL: %s", url)
		secret = fmt.Sprintf("username: %q\n  password: %q", c.Username, c.Password)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %[1]s-credentials
  namespace: %[2]s
  annotations:
    cloud.orgsync.io/accounts: %[1]s
    cloud.orgsync.io/origins: %[6]s
stringData:
  %[3]s
---
apiVersion: cloud.orgsync.io/v1alpha1
kind: CloudAccount
metadata:
  name: %[1]s
spec:
  provider: %[4]s
  credentialsSecretRef:
    name: %[1]s-credentials
  %[5]s
`, name, namespace, secret, provider, spec, url)
}

func (e *e2e) account(t *testing.T, name string) (*v1alpha1.CloudAccount, error) {
	a := &v1alpha1.CloudAccount{}
	return a, e.getJSON(t, a, "cloudaccount", name)
}

// mirrors maps the names of an account's Organizations to their UIDs, and counts
// the distinct remote ids among them.
func (e *e2e) mirrors(t *testing.T, kind, account string) (map[string]string, int, error) {
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
				UID  string `json:"uid"`
			} `json:"metadata"`
			Spec struct {
				ExternalID string `json:"externalID"`
			} `json:"spec"`
		} `json:"items"`
	}
	if err := e.getJSON(t, &list, kind, "-l", v1alpha1.LabelAccount+"="+account); err != nil {
		return nil, 0, err
	}
	names := map[string]string{}
	ids := map[string]bool{}
	for _, it := range list.Items {
		names[it.Metadata.Name] = it.Metadata.UID
		ids[it.Spec.ExternalID] = true
	}
	return names, len(ids), nil
}

var smallAccounts = map[string]string{"confluent": "ConfluentCloud", "azure": "Azure", "cf": "CloudFoundry"}

func (e *e2e) waitSynced(t *testing.T, name, token string, timeout time.Duration) *v1alpha1.CloudAccount {
	t.Helper()
	var acct *v1alpha1.CloudAccount
	NewWithT(t).Eventually(func(g Gomega) {
		a, err := e.account(t, name)
		g.Expect(err).NotTo(HaveOccurred())
		acct = a
		g.Expect(a.Status.LastSyncTime).NotTo(BeNil(), "account %s: %+v", name, a.Status.Conditions)
		if token != "" {
			g.Expect(a.Status.LastHandledSyncRequest).To(Equal(token))
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	return acct
}

func (e *e2e) mirrorsAppear(t *testing.T) {
	g := NewWithT(t)
	for name, provider := range smallAccounts {
		e.apply(t, e.accountManifest(name, provider, simPort))
	}
	for name := range smallAccounts {
		a := e.waitSynced(t, name, "", 3*time.Minute)
		t.Logf("account %s synced: %d organizations, %d connect clusters in %s", name,
			a.Status.Organizations, a.Status.ConnectClusters, a.Status.LastSyncDuration.Duration)
		g.Expect(a.Status.Organizations).To(BeEquivalentTo(50))
		orgs, ids, err := e.mirrors(t, "organizations", name)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(orgs).To(HaveLen(50))
		g.Expect(ids).To(Equal(50))
	}
	ccs, _, err := e.mirrors(t, "connectclusters", "confluent")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ccs).To(HaveLen(40))

	out := e.k(t, "get", "orgsync")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	t.Logf("kubectl get orgsync: %d lines, e.g.\n%s", len(lines), strings.Join(lines[:min(4, len(lines))], "\n"))
	for _, want := range []string{"cloudaccount.cloud.orgsync.io/confluent", "cloudaccount.cloud.orgsync.io/azure", "cloudaccount.cloud.orgsync.io/cf",
		"ConfluentCloud", "Azure", "CloudFoundry", "connectcluster.cloud.orgsync.io/confluent."} {
		g.Expect(out).To(ContainSubstring(want))
	}
}

// podURL is the manager's metrics endpoint at the pod's own address: no Service
// ClusterIP is ever used (there is no kube-proxy, and traffic must stay local).
func metricsGet(podIP, token string) (int, string, error) {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		// controller-runtime serves metrics with a self-signed certificate by default.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test against a self-signed local endpoint
	}}
	req, err := http.NewRequest(http.MethodGet, "https://"+net.JoinHostPort(podIP, "8443")+"/metrics", nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, string(body), err
}

func (e *e2e) metricsAuthorization(t *testing.T) {
	g := NewWithT(t)
	e.apply(t, fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-scraper, namespace: %[1]s}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: no-metrics, namespace: %[1]s}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-metrics-scraper}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %[2]s-metrics-reader}
subjects:
- {kind: ServiceAccount, name: metrics-scraper, namespace: %[1]s}
`, namespace, release))
	allowed := strings.TrimSpace(e.k(t, "-n", namespace, "create", "token", "metrics-scraper"))
	denied := strings.TrimSpace(e.k(t, "-n", namespace, "create", "token", "no-metrics"))
	ip := e.onlyPod(t).Status.PodIP

	g.Eventually(func(g Gomega) {
		code, body, err := metricsGet(ip, allowed)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(http.StatusOK), body)
		g.Expect(body).To(ContainSubstring("orgsync_mirrored_objects"))
	}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
	code, body, err := metricsGet(ip, denied)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(http.StatusForbidden), body)
	code, _, err = metricsGet(ip, "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(http.StatusUnauthorized))
	t.Logf("metrics at %s:8443: 200 with the metrics-reader token, %d without the role, 401 without a token", ip, http.StatusForbidden)
}

// leaseHolder is the pod named by the leader lease (holderIdentity is POD_UUID).
func (e *e2e) leaseHolder(t *testing.T) (string, int, error) {
	var lease struct {
		Spec struct {
			HolderIdentity   string `json:"holderIdentity"`
			LeaseTransitions int    `json:"leaseTransitions"`
		} `json:"spec"`
	}
	if err := e.getJSON(t, &lease, "-n", namespace, "lease", "orgsync.cloud.orgsync.io"); err != nil {
		return "", 0, err
	}
	holder, _, _ := strings.Cut(lease.Spec.HolderIdentity, "_")
	return holder, lease.Spec.LeaseTransitions, nil
}

func (e *e2e) leaderHandOver(t *testing.T) {
	g := NewWithT(t)
	e.helmRun(t, append(append([]string{"upgrade", release}, e.fromRegistry(e.version)...), append([]string{"-n", namespace,
		"--reuse-values", "--set", "replicaCount=2", "--wait", "--timeout", "3m"}, e.helmValues()...)...)...)
	var pods []pod
	g.Eventually(func() ([]pod, error) {
		var err error
		pods, err = e.readyPods(t)
		return pods, err
	}).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(HaveLen(2))
	var leader string
	var transitions int
	g.Eventually(func(g Gomega) {
		var err error
		leader, transitions, err = e.leaseHolder(t)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect([]string{pods[0].Metadata.Name, pods[1].Metadata.Name}).To(ContainElement(leader))
	}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
	t.Logf("replicas %s and %s; leader %s (lease transitions %d)", pods[0].Metadata.Name, pods[1].Metadata.Name, leader, transitions)

	before := map[string]map[string]string{}
	for name := range smallAccounts {
		orgs, _, err := e.mirrors(t, "organizations", name)
		g.Expect(err).NotTo(HaveOccurred())
		before[name] = orgs
	}

	// A large account: wait until the leader is part-way through it, then delete the leader.
	e.apply(t, e.accountManifest("big", "CloudFoundry", bigPort))
	var partial map[string]string
	g.Eventually(func(g Gomega) {
		var err error
		partial, _, err = e.mirrors(t, "organizations", "big")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(len(partial)).To(BeNumerically(">=", bigOrgs/10))
	}).WithTimeout(3 * time.Minute).WithPolling(200 * time.Millisecond).Should(Succeed())
	a, err := e.account(t, "big")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Status.LastSyncTime).To(BeNil(), "the sync finished before the leader could be stopped")
	g.Expect(len(partial)).To(BeNumerically("<", bigOrgs), "the sync finished before the leader could be stopped")
	// Cordoned, the node cannot start the leader's replacement, which could win the
	// lease before the standing replica: as when the leader's node goes away.
	e.k(t, "cordon", os.Getenv("NODE_NAME"))
	t.Logf("deleting leader %s with %d of %d mirrors written", leader, len(partial), bigOrgs)
	deleted := time.Now()
	e.k(t, "-n", namespace, "delete", "pod", leader, "--wait=false")

	var next string
	var nextTransitions int
	g.Eventually(func(g Gomega) {
		var err error
		next, nextTransitions, err = e.leaseHolder(t)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(next).NotTo(Equal(leader))
		g.Expect(next).NotTo(BeEmpty())
	}).WithTimeout(time.Minute).WithPolling(200 * time.Millisecond).Should(Succeed())
	t.Logf("lease passed from %s to %s after %s (lease transitions %d -> %d)", leader, next,
		time.Since(deleted).Round(100*time.Millisecond), transitions, nextTransitions)
	g.Expect([]string{pods[0].Metadata.Name, pods[1].Metadata.Name}).To(ContainElement(next), "the other replica took over")
	e.k(t, "uncordon", os.Getenv("NODE_NAME"))

	acct := e.waitSynced(t, "big", "", 5*time.Minute)
	t.Logf("account big synced by %s: %d organizations, sync took %s", next, acct.Status.Organizations, acct.Status.LastSyncDuration.Duration)
	g.Expect(acct.Status.Organizations).To(BeEquivalentTo(bigOrgs))
	after, ids, err := e.mirrors(t, "organizations", "big")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after).To(HaveLen(bigOrgs), "one mirror per remote organization")
	g.Expect(ids).To(Equal(bigOrgs), "no remote organization mirrored twice")
	for n, uid := range partial {
		g.Expect(after).To(HaveKeyWithValue(n, uid), "mirror %s written before the hand-over was kept, not re-created", n)
	}
	for name, orgs := range before {
		now, _, err := e.mirrors(t, "organizations", name)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(now).To(Equal(orgs), "account %s's mirrors are untouched", name)
	}
}

// allMirrors maps each small account to its Organizations' names and UIDs.
func (e *e2e) allMirrors(t *testing.T) map[string]map[string]string {
	t.Helper()
	all := map[string]map[string]string{}
	for name := range smallAccounts {
		orgs, _, err := e.mirrors(t, "organizations", name)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		all[name] = orgs
	}
	return all
}

// upgradeFromPrevious upgrades the release installed from the previous chart to
// this one, from the registry, as the chart README says: --reset-then-reuse-values
// keeps the user's values and takes the new chart's defaults for what is new (a
// plain --reuse-values would keep the old chart's defaults, which lack them).
func (e *e2e) upgradeFromPrevious(t *testing.T) {
	g := NewWithT(t)
	old := e.onlyPod(t)
	before := e.allMirrors(t)
	ccs, _, err := e.mirrors(t, "connectclusters", "confluent")
	g.Expect(err).NotTo(HaveOccurred())
	// The test pod is a hook, which Helm does not post-render: it reaches the API
	// server through the node's forwarder by these values instead.
	testEnv := fmt.Sprintf(`[{"name":"KUBERNETES_SERVICE_HOST","value":%q},{"name":"KUBERNETES_SERVICE_PORT","value":%q}]`,
		e.podHost, os.Getenv("NODE_API_PORT"))
	// What the README used to say, --reuse-values, is refused with a message that
	// says what to use, and leaves the release as it was.
	_, err = e.run(t, "", e.helm, append(append([]string{"upgrade", release}, e.fromRegistry(e.version)...),
		append([]string{"-n", namespace, "--reuse-values"}, e.helmValues()...)...)...)
	g.Expect(err).To(MatchError(ContainSubstring("upgrade with --reset-then-reuse-values")))
	g.Expect(e.helmRun(t, "list", "-n", namespace, "-o", "json")).To(ContainSubstring(`"chart":"orgsync-` + e.previous + `"`))

	start := time.Now()
	e.helmRun(t, append(append([]string{"upgrade", release}, e.fromRegistry(e.version)...), append([]string{"-n", namespace,
		"--reset-then-reuse-values", "--set-json", "tests.extraEnv=" + testEnv, "--wait", "--timeout", "3m"}, e.helmValues()...)...)...)
	t.Logf("helm upgrade %s --version %s -> %s: %s", e.chart, e.previous, e.version, time.Since(start).Round(100*time.Millisecond))
	p := e.onlyPod(t)
	g.Expect(p.Metadata.Name).NotTo(Equal(old.Metadata.Name), "the upgrade rolls the pod")
	e.pulledByTheKubelet(t, p, e.image)

	token := e.requestSync(t, "cf")
	a := e.waitSynced(t, "cf", token, 3*time.Minute)
	t.Logf("requested sync of cf handled by %s at %s", e.version, a.Status.LastSyncTime)
	g.Expect(e.allMirrors(t)).To(Equal(before), "every Organization kept, with its UID")
	after, _, err := e.mirrors(t, "connectclusters", "confluent")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after).To(Equal(ccs), "every ConnectCluster kept, with its UID")
}

// helmTest runs the chart's test hook ('/manager check' in the release's image).
func (e *e2e) helmTest(t *testing.T) {
	start := time.Now()
	out := e.helmRun(t, "test", release, "-n", namespace, "--timeout", "3m", "--logs")
	t.Logf("helm test (%s):\n%s", time.Since(start).Round(100*time.Millisecond), out)
	g := NewWithT(t)
	g.Expect(out).To(MatchRegexp(`Phase:\s+Succeeded`))
	for _, want := range []string{"served: cloudaccounts.cloud.orgsync.io", "served: organizations.cloud.orgsync.io",
		"served: connectclusters.cloud.orgsync.io", "1 of 1 replicas ready", "leader: ", "check: ok"} {
		g.Expect(out).To(ContainSubstring(want))
	}
}

// requestSync asks an account for a sync now, as the README says, and returns the token.
func (e *e2e) requestSync(t *testing.T, name string) string {
	token := fmt.Sprint(time.Now().UnixNano())
	e.k(t, "annotate", "cloudaccount", name, "--overwrite", v1alpha1.AnnotationSyncRequestedAt+"="+token)
	return token
}

func (e *e2e) upgradeRolls(t *testing.T) {
	g := NewWithT(t)
	old, err := e.readyPods(t)
	g.Expect(err).NotTo(HaveOccurred())
	e.helmRun(t, append(append([]string{"upgrade", release}, e.fromRegistry(e.version)...), append([]string{"-n", namespace,
		"--reuse-values", "--set", "replicaCount=1", "--set", "logLevel=debug", "--wait", "--timeout", "3m"}, e.helmValues()...)...)...)
	p := e.onlyPod(t)
	for _, o := range old {
		g.Expect(p.Metadata.Name).NotTo(Equal(o.Metadata.Name), "a new pod after the changed value")
	}
	t.Logf("helm upgrade (logLevel=debug) rolled to pod %s", p.Metadata.Name)
	before, _, err := e.mirrors(t, "organizations", "cf")
	g.Expect(err).NotTo(HaveOccurred())
	token := e.requestSync(t, "cf")
	a := e.waitSynced(t, "cf", token, 3*time.Minute)
	t.Logf("requested sync of cf handled after the upgrade at %s", a.Status.LastSyncTime)
	after, _, err := e.mirrors(t, "organizations", "cf")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after).To(Equal(before))
}

func (e *e2e) uninstallKeeps(t *testing.T) {
	g := NewWithT(t)
	count := func(kind string) int {
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		g.Expect(e.getJSON(t, &list, kind)).To(Succeed())
		return len(list.Items)
	}
	accounts, orgs, ccs := count("cloudaccounts"), count("organizations"), count("connectclusters")
	e.helmRun(t, "uninstall", release, "-n", namespace, "--wait", "--timeout", "2m")
	g.Eventually(func() ([]pod, error) { return e.readyPods(t) }).WithTimeout(time.Minute).Should(BeEmpty())
	for _, crd := range []string{"cloudaccounts", "organizations", "connectclusters"} {
		e.k(t, "get", "crd", crd+".cloud.orgsync.io")
	}
	g.Expect(count("cloudaccounts")).To(Equal(accounts))
	g.Expect(count("organizations")).To(Equal(orgs))
	g.Expect(count("connectclusters")).To(Equal(ccs))
	e.k(t, "-n", namespace, "get", "secret", "cf-credentials")
	// What the docs tell users to remove by hand, should they delete an account now.
	a, err := e.account(t, "cf")
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("account cf keeps its finalizers %v", a.Finalizers)
	g.Expect(a.Finalizers).To(ContainElement(v1alpha1.FinalizerMirrors))
	t.Logf("after helm uninstall: CRDs kept, %d accounts, %d organizations, %d connect clusters kept", accounts, orgs, ccs)
}
