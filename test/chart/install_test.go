package chart_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// installNamespace is deliberately not orgsync-system: nothing in the chart may
// assume the namespace the kustomize manifests use.
const installNamespace = "platform-tools"

// apiServer starts a real kube-apiserver and etcd, with no CRDs: the chart brings
// them. It returns a client and the environment for helm (KUBECONFIG).
func apiServer(t *testing.T) (client.Client, []string) {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is unset: run 'make test', which builds the control plane")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start the control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	user, err := env.AddUser(envtest.User{Name: "chart-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(apiextensionsv1.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c, []string{"KUBECONFIG=" + path}
}

// installStory is one API server and the chart's life on it, in the order a
// platform team lives it.
type installStory struct {
	ctx         context.Context
	c           client.Client
	kube        []string
	helm, helm4 string
	// values adds a CloudAccount.
	values     string
	deployment appsv1.Deployment
}

// One API server for the whole install story: install (Helm v3) into a namespace
// that enforces the restricted Pod Security level, a second release with Helm v4
// that leaves the CRDs to the first, an upgrade that adds a CloudAccount, and
// uninstalls that leave CRDs and accounts.
func TestInstallUpgradeUninstall(t *testing.T) {
	c, kube := apiServer(t)
	s := &installStory{ctx: context.Background(), c: c, kube: kube, helm: tool(t, "helm"), helm4: tool(t, "helm4")}
	restricted := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: installNamespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	}}}
	if err := c.Create(s.ctx, restricted); err != nil {
		t.Fatal(err)
	}
	s.values = filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(s.values, []byte(accountValues), 0o600); err != nil {
		t.Fatal(err)
	}
	s.refusals(t)
	s.install(t)
	s.podSecurity(t)
	s.secondRelease(t)
	s.upgrade(t)
	s.fences(t)
	s.uninstall(t)
}

const accountValues = `cloudAccounts:
  - name: confluent-cloud
    spec:
      provider: ConfluentCloud
      confluentCloud:
        organizations: true
      credentialsSecretRef:
        name: confluent-cloud-credentials
logLevel: debug
`

// refusals: bad input is refused before anything is created.
func (s *installStory) refusals(t *testing.T) {
	ctx, c, kube, helm := s.ctx, s.c, s.kube, s.helm
	t.Run("a wrong value is refused before anything is created", func(t *testing.T) {
		_, stderr, err := run(t, kube, helm, "install", "orgsync", chartDir, "-n", installNamespace, "--set", "replicaCount=two")
		if err == nil || !strings.Contains(stderr, "replicaCount") || !strings.Contains(stderr, "schema") {
			t.Fatalf("install with replicaCount=two: err %v\n%s", err, stderr)
		}
		var deployments appsv1.DeploymentList
		if err := c.List(ctx, &deployments, client.InNamespace(installNamespace)); err != nil || len(deployments.Items) != 0 {
			t.Fatalf("after a refused install: %d deployments, %v", len(deployments.Items), err)
		}
	})

	// The README says so: Helm cannot map a CloudAccount before its CRD exists, and
	// stops before it creates anything.
	t.Run("accounts on a first install are refused until the CRDs exist", func(t *testing.T) {
		_, stderr, err := run(t, kube, helm, "install", "orgsync", chartDir, "-n", installNamespace, "-f", s.values)
		if err == nil || !strings.Contains(stderr, "ensure CRDs are installed first") {
			t.Fatalf("first install with cloudAccounts: err %v\n%s", err, stderr)
		}
		var crds apiextensionsv1.CustomResourceDefinitionList
		if err := c.List(ctx, &crds); err != nil || len(crds.Items) != 0 {
			t.Fatalf("after a refused install: %d CRDs, %v", len(crds.Items), err)
		}
	})

}

// install installs the release and checks what it made.
func (s *installStory) install(t *testing.T) {
	ctx, c, kube, helm := s.ctx, s.c, s.kube, s.helm
	mustRun(t, kube, helm, "install", "orgsync", chartDir, "-n", installNamespace)

	t.Run("CRDs are installed and kept on uninstall", func(t *testing.T) {
		for _, name := range []string{"cloudaccounts.cloud.orgsync.io", "organizations.cloud.orgsync.io", "connectclusters.cloud.orgsync.io"} {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := c.Get(ctx, client.ObjectKey{Name: name}, &crd); err != nil {
				t.Fatalf("CRD %s: %v", name, err)
			}
			if crd.Annotations["helm.sh/resource-policy"] != "keep" {
				t.Errorf("CRD %s has no keep policy: %v", name, crd.Annotations)
			}
		}
	})

	t.Run("the Secrets Role lives in the release namespace", func(t *testing.T) {
		var role rbacv1.Role
		if err := c.Get(ctx, client.ObjectKey{Namespace: installNamespace, Name: "orgsync-manager"}, &role); err != nil {
			t.Fatal(err)
		}
		var roles rbacv1.RoleList
		if err := c.List(ctx, &roles, client.InNamespace("orgsync-system")); err != nil || len(roles.Items) != 0 {
			t.Errorf("roles in orgsync-system: %d, %v", len(roles.Items), err)
		}
	})

	if err := c.Get(ctx, client.ObjectKey{Namespace: installNamespace, Name: "orgsync"}, &s.deployment); err != nil {
		t.Fatal(err)
	}

}

// podSecurity proves the chart's pod against the restricted level.
func (s *installStory) podSecurity(t *testing.T) {
	ctx, c := s.ctx, s.c
	t.Run("the default pod is admitted where restricted is enforced", func(t *testing.T) {
		pod := podOf(s.deployment)
		if err := c.Create(ctx, pod, client.DryRunAll); err != nil {
			t.Fatalf("restricted namespace refused the chart's pod: %v", err)
		}
	})

	// The namespace must really enforce: a pod that runs as root is refused, so the
	// admission above means something.
	t.Run("the same namespace refuses a pod that may run as root", func(t *testing.T) {
		pod := podOf(s.deployment)
		pod.Spec.SecurityContext.RunAsNonRoot = ptr.To(false)
		pod.Spec.Containers[0].SecurityContext.RunAsNonRoot = ptr.To(false)
		err := c.Create(ctx, pod, client.DryRunAll)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "restricted") {
			t.Fatalf("a root-capable pod was not refused by Pod Security: %v", err)
		}
	})

}

// secondRelease installs beside the first with Helm v4, without CRDs.
func (s *installStory) secondRelease(t *testing.T) {
	ctx, c, kube := s.ctx, s.c, s.kube
	t.Run("a second release with Helm v4 and crds.enabled=false", func(t *testing.T) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "second-orgsync"}}
		if err := c.Create(ctx, ns); err != nil {
			t.Fatal(err)
		}
		mustRun(t, kube, s.helm4, "install", "orgsync-two", chartDir, "-n", ns.Name, "--set", "crds.enabled=false")
		var role rbacv1.Role
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "orgsync-two-manager"}, &role); err != nil {
			t.Fatal(err)
		}
		mustRun(t, kube, s.helm4, "uninstall", "orgsync-two", "-n", ns.Name)
	})

}

// upgrade adds an account and a changed value.
func (s *installStory) upgrade(t *testing.T) {
	ctx, c, kube, helm := s.ctx, s.c, s.kube, s.helm
	mustRun(t, kube, helm, "upgrade", "orgsync", chartDir, "-n", installNamespace, "-f", s.values)

	t.Run("the upgrade creates the account and rolls the pod template", func(t *testing.T) {
		var account v1alpha1.CloudAccount
		if err := c.Get(ctx, client.ObjectKey{Name: "confluent-cloud"}, &account); err != nil {
			t.Fatal(err)
		}
		var upgraded appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKeyFromObject(&s.deployment), &upgraded); err != nil {
			t.Fatal(err)
		}
		args := strings.Join(upgraded.Spec.Template.Spec.Containers[0].Args, " ")
		if !strings.Contains(args, "--zap-log-level=debug") {
			t.Errorf("upgraded args: %s", args)
		}
	})

}

// uninstall leaves the CRDs and the accounts.
func (s *installStory) uninstall(t *testing.T) {
	ctx, c, kube, helm := s.ctx, s.c, s.kube, s.helm
	mustRun(t, kube, helm, "uninstall", "orgsync", "-n", installNamespace)

	t.Run("uninstall leaves the CRDs and the accounts, and removes the rest", func(t *testing.T) {
		var crds apiextensionsv1.CustomResourceDefinitionList
		if err := c.List(ctx, &crds); err != nil || len(crds.Items) != 3 {
			t.Fatalf("CRDs after uninstall: %d, %v", len(crds.Items), err)
		}
		var account v1alpha1.CloudAccount
		if err := c.Get(ctx, client.ObjectKey{Name: "confluent-cloud"}, &account); err != nil {
			t.Errorf("account after uninstall: %v", err)
		}
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			err := c.Get(ctx, client.ObjectKeyFromObject(&s.deployment), &appsv1.Deployment{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			t.Errorf("the Deployment is still there after uninstall")
		}
	})
}

// podOf makes the pod that the Deployment's ReplicaSet would create.
func podOf(d appsv1.Deployment) *corev1.Pod {
	tmpl := d.Spec.Template.DeepCopy()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, GenerateName: d.Name + "-", Labels: tmpl.Labels, Annotations: tmpl.Annotations},
		Spec:       tmpl.Spec,
	}
}
