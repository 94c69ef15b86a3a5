package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// CacheOptions keep the informer cache lean: managed fields are stripped from every
// object, Secrets are watched only in the operator's namespace, and only mirrors that
// carry the account label are cached, without the fields the reconciler never reads.
func CacheOptions(namespace string) cache.Options {
	mirrors := cache.ByObject{Label: mustSelector(v1alpha1.LabelAccount), Transform: leanMirror}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:           {Namespaces: map[string]cache.Config{namespace: {}}},
			&v1alpha1.Organization{}:   mirrors,
			&v1alpha1.ConnectCluster{}: mirrors,
		},
	}
}

// leanMirror drops what a cached mirror holds and the reconciler never reads: managed
// fields, annotations (kubectl's last-applied copy can be as large as the object) and
// owner references (set on create, from the account, never read back). Every write
// from a cached mirror is a merge patch of labels or status, which leaves the dropped
// fields as the API server has them.
func leanMirror(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
		m.SetOwnerReferences(nil)
	}
	return obj, nil
}

// mustSelector selects objects that carry the label, whatever its value.
func mustSelector(label string) labels.Selector {
	sel, err := labels.Parse(label)
	if err != nil {
		panic(err)
	}
	return sel
}
