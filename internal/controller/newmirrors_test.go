package controller

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// The writer of new mirrors against a real API server: what it reads from the create's
// answer is what the status write needs, and a refusal keeps the server's reason.
func TestNewMirrorWriterAgainstTheAPIServer(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is unset: run through make test")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := unitScheme(t)
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newMirrorWriterFor(cfg, httpClient, scheme, mapper)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	org := unitOrganization(unitAccount(), "rg/one")
	if err := w.create(ctx, org); err != nil {
		t.Fatalf("create: %v", err)
	}
	if org.GetUID() == "" || org.GetResourceVersion() == "" || org.GetGeneration() != 1 {
		t.Fatalf("after create: uid %q, resourceVersion %q, generation %d; want all three from the answer",
			org.GetUID(), org.GetResourceVersion(), org.GetGeneration())
	}
	org.Status.DisplayName = "One"
	setMirrorConditions(org)
	if err := w.updateStatus(ctx, org); err != nil {
		t.Fatalf("status write: %v", err)
	}
	stored := &v1alpha1.Organization{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(org), stored); err != nil {
		t.Fatal(err)
	}
	if stored.Status.DisplayName != "One" || stored.Status.ObservedGeneration != 1 {
		t.Errorf("stored status: displayName %q, observedGeneration %d; want One, 1", stored.Status.DisplayName, stored.Status.ObservedGeneration)
	}

	again := unitOrganization(unitAccount(), "rg/one")
	if err := w.create(ctx, again); !apierrors.IsAlreadyExists(err) {
		t.Errorf("second create: %v, want AlreadyExists", err)
	}
	bad := unitOrganization(unitAccount(), "rg/two")
	bad.Spec.ExternalID = strings.Repeat("x", 600)
	err = w.create(ctx, bad)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.externalID") {
		t.Errorf("create of an invalid mirror: %v; want Invalid, naming spec.externalID", err)
	}
	stale := stored.DeepCopy()
	stale.ResourceVersion = "1"
	stale.TypeMeta = metav1.TypeMeta{}
	if err := w.updateStatus(ctx, stale); !apierrors.IsConflict(err) {
		t.Errorf("status write at a stale resourceVersion: %v, want Conflict", err)
	}
}
