package providers

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/azure"
	"github.com/orgsync/orgsync/internal/cloud/confluent"
)

// DefaultOrigins are the provider's documented public endpoints: where a Secret
// that names no origins may send its credentials. Cloud Foundry has no public
// endpoint, so a Cloud Foundry Secret must name its foundation (API and UAA).
func DefaultOrigins(provider v1alpha1.Provider) cloud.Origins {
	switch provider {
	case v1alpha1.ProviderConfluentCloud:
		return cloud.MustOrigins(confluent.DefaultEndpoint)
	case v1alpha1.ProviderAzure:
		return cloud.MustOrigins(azure.DefaultEndpoint, azure.DefaultAuthorityHost)
	}
	return cloud.Origins{}
}

// AllowedOrigins is where the Secret's credentials may go for an account of provider:
// the origins its annotation names, or the provider's defaults when it names none.
// A Confluent Secret's own tokenURL is allowed too, that URL alone: the Secret's
// owner wrote it.
// Errors count the annotation's entries rather than quote them.
func AllowedOrigins(provider v1alpha1.Provider, secret *corev1.Secret) (cloud.Origins, error) {
	allowed := DefaultOrigins(provider)
	if value := secret.Annotations[v1alpha1.AnnotationOrigins]; strings.TrimSpace(value) != "" {
		named, err := cloud.ParseOrigins(value)
		if err != nil {
			return cloud.Origins{}, fmt.Errorf("%w: the Secret's %s annotation: %w", cloud.ErrOriginNotAllowed, v1alpha1.AnnotationOrigins, err)
		}
		allowed = named
	}
	if provider == v1alpha1.ProviderConfluentCloud {
		// One that does not parse as an origin is refused by the provider itself.
		if own, err := cloud.ExactURL(string(secret.Data["tokenURL"])); err == nil {
			allowed = allowed.Union(own)
		}
	}
	return allowed, nil
}
