package controller

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// CacheOptions keep the manager's informer cache lean: managed fields are stripped
// from every object, and Secrets are watched only in the operator's namespace. Mirrors
// are not in it: each account has its own cache of them (mirrorCaches).
func CacheOptions(namespace string) cache.Options {
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{namespace: {}}},
		},
	}
}

// ClientOptions make the manager's client read mirrors from the API server: read
// through the manager's cache, they would start a watch of every account's mirrors.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: mirrorKinds()}}
}

// leanMirrors returns the cache's transform for mirrors. It drops what a cached mirror
// holds and the reconciler never reads: managed fields, annotations (kubectl's
// last-applied copy can be as large as the object) and owner references (set on
// create, from the account, never read back). Every write from a cached mirror is a
// merge patch of labels or status, which leaves the dropped fields as the API server
// has them. The strings that repeat across mirrors (labels, account, provider,
// conditions, states, regions) are shared through in, and an organization's details
// are kept as their digest (details.go); what is kept compares equal to what was
// decoded.
func leanMirrors(in *interner) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		m, ok := obj.(v1alpha1.Mirror)
		if !ok {
			return obj, nil
		}
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
		m.SetOwnerReferences(nil)
		m.SetLabels(in.labelSet(m.GetLabels()))
		m.SetConditions(in.conditionSet(m.GetConditions()))
		switch o := m.(type) {
		case *v1alpha1.Organization:
			internOrganization(in, o)
		case *v1alpha1.ConnectCluster:
			internConnectCluster(in, o)
		}
		return m, nil
	}
}

// internIdentity shares what both kinds hold alike: the kind, the account and
// provider, and the external ID as the tail of the name.
func internIdentity(in *interner, tm *metav1.TypeMeta, name string, account *string, provider *v1alpha1.Provider, externalID *string) {
	tm.APIVersion, tm.Kind = in.str(tm.APIVersion), in.str(tm.Kind)
	*account, *provider = in.str(*account), v1alpha1.Provider(in.str(string(*provider)))
	*externalID = suffixOf(name, *externalID)
}

func internOrganization(in *interner, o *v1alpha1.Organization) {
	internIdentity(in, &o.TypeMeta, o.Name, &o.Spec.AccountRef.Name, &o.Spec.Provider, &o.Spec.ExternalID)
	st := &o.Status
	st.ProvisioningState = v1alpha1.ProvisioningState(in.str(string(st.ProvisioningState)))
	st.RawState, st.OfferStatus = in.str(st.RawState), in.str(st.OfferStatus)
	keepDetailsDigest(o)
}

func internConnectCluster(in *interner, c *v1alpha1.ConnectCluster) {
	internIdentity(in, &c.TypeMeta, c.Name, &c.Spec.AccountRef.Name, &c.Spec.Provider, &c.Spec.ExternalID)
	c.Spec.Environment = in.str(c.Spec.Environment)
	st := &c.Status
	st.ProvisioningState = v1alpha1.ProvisioningState(in.str(string(st.ProvisioningState)))
	st.Cloud, st.Region = v1alpha1.Cloud(in.str(string(st.Cloud))), in.str(st.Region)
	st.EnvironmentResourceName = in.str(st.EnvironmentResourceName)
}

// suffixOf returns s as the tail of name when name ends with it (a mirror's name ends
// with its item's ID), so the two share their bytes; otherwise s.
func suffixOf(name, s string) string {
	if s != "" && strings.HasSuffix(name, s) {
		return name[len(name)-len(s):]
	}
	return s
}
