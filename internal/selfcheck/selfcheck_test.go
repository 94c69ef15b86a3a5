package selfcheck

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const ns = "default"

// startAPIServer starts envtest's kube-apiserver and etcd, or skips the test
// under -short: make test-unit starts no API server, make test-int runs these.
func startAPIServer(t *testing.T, env *envtest.Environment) *rest.Config {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an API server (envtest): run make test-int")
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return cfg
}

// The check against a real API server: the CRDs installed, a Deployment whose
// status says its pods are ready (no kubelet here: the test writes the status the
// Deployment controller would), and a Lease a goroutine renews as a leader does.
func TestCheckAgainstARealAPIServer(t *testing.T) {
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg := startAPIServer(t, env)
	var err error
	kube := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()

	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "orgsync", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "orgsync"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "orgsync"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "manager", Image: "orgsync"}}},
			},
		},
	}
	d, err = kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check := Check{Namespace: ns, Deployment: "orgsync", Lease: "orgsync.cloud.orgsync.io", Timeout: 2 * time.Second, Poll: 50 * time.Millisecond}

	var out bytes.Buffer
	err = Run(ctx, cfg, check, &out)
	if !errors.Is(err, ErrNotAnswering) {
		t.Fatalf("with no ready replica: err = %v, want ErrNotAnswering\n%s", err, out.String())
	}
	t.Logf("no ready replica: %v", err)

	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 2, ReadyReplicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}
	if _, err := kube.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: check.Lease, Namespace: ns},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("orgsync-abc_123"), RenewTime: &metav1.MicroTime{Time: time.Now()}},
	}
	if lease, err = kube.CoordinationV1().Leases(ns).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Run(ctx, cfg, check, &out); !errors.Is(err, ErrNotAnswering) {
		t.Fatalf("with a lease nobody renews: err = %v, want ErrNotAnswering\n%s", err, out.String())
	}

	// A leader renews its lease every retry period.
	renewCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		l := lease
		for renewCtx.Err() == nil {
			l.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
			if got, err := kube.CoordinationV1().Leases(ns).Update(renewCtx, l, metav1.UpdateOptions{}); err == nil {
				l = got
			}
			select {
			case <-renewCtx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	out.Reset()
	if err := Run(ctx, cfg, check, &out); err != nil {
		t.Fatalf("with the leader renewing: %v\n%s", err, out.String())
	}
	t.Logf("check output:\n%s", out.String())
	for _, want := range []string{"served: cloudaccounts.cloud.orgsync.io", "served: organizations.cloud.orgsync.io", "served: connectclusters.cloud.orgsync.io", "2 of 2 replicas ready", "leader: orgsync-abc renewed"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// Without the CRDs the check fails at once, before it waits on anything.
func TestCheckFailsWhenTheCRDsAreNotServed(t *testing.T) {
	env := &envtest.Environment{}
	cfg := startAPIServer(t, env)
	var out bytes.Buffer
	err := Run(context.Background(), cfg, Check{Namespace: ns, Deployment: "orgsync", Timeout: time.Minute}, &out)
	if err == nil || errors.Is(err, ErrNotAnswering) {
		t.Errorf("err = %v, want a failed list of cloudaccounts", err)
	}
}
