package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// CacheOptions keep the informer cache lean: managed fields are stripped from every
// object, Secrets are watched only in the operator's namespace, and only mirrors that
// carry the account label are cached.
func CacheOptions(namespace string) cache.Options {
	mirrors := cache.ByObject{Label: mustSelector(v1alpha1.LabelAccount)}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:           {Namespaces: map[string]cache.Config{namespace: {}}},
			&v1alpha1.Organization{}:   mirrors,
			&v1alpha1.ConnectCluster{}: mirrors,
		},
	}
}

// mustSelector selects objects that carry the label, whatever its value.
func mustSelector(label string) labels.Selector {
	sel, err := labels.Parse(label)
	if err != nil {
		panic(err)
	}
	return sel
}
