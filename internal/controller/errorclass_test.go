package controller

import (
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// Every error the controller reads goes through one table: the reason it reports,
// whether it ends the session, and whether it blames the spec or Secret. setupReason
// is the reason the same error gets when building the provider failed with it.
func TestClassify(t *testing.T) {
	notLent := lendsTo(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"}}, "prod")
	tests := []struct {
		name        string
		err         error
		want        errorClass
		setupReason string
	}{
		{"unauthorized", &cloud.APIError{Kind: cloud.ErrUnauthorized, Status: 401},
			errorClass{reason: v1alpha1.ReasonUnauthorized, endsSession: true}, v1alpha1.ReasonInvalidConfiguration},
		{"forbidden", &cloud.APIError{Kind: cloud.ErrForbidden, Status: 403},
			errorClass{reason: v1alpha1.ReasonForbidden, endsSession: true}, v1alpha1.ReasonInvalidConfiguration},
		{"bad request", &cloud.APIError{Kind: cloud.ErrBadRequest, Status: 400},
			errorClass{reason: v1alpha1.ReasonInvalidConfiguration, endsSession: true}, v1alpha1.ReasonInvalidConfiguration},
		{"not found", &cloud.APIError{Kind: cloud.ErrNotFound, Status: 404},
			errorClass{reason: v1alpha1.ReasonInvalidConfiguration, endsSession: true}, v1alpha1.ReasonInvalidConfiguration},
		{"unsafe answer, wrapped", fmt.Errorf("list organizations: %w", cloud.ErrUnsafe),
			errorClass{reason: v1alpha1.ReasonRemoteError, endsSession: true}, v1alpha1.ReasonInvalidConfiguration},
		{"transient", &cloud.APIError{Kind: cloud.ErrTransient, Status: 503},
			transient, v1alpha1.ReasonInvalidConfiguration},
		{"rate limited", &cloud.RateLimitedError{Wait: time.Second},
			transient, v1alpha1.ReasonInvalidConfiguration},
		{"an API-server write", errors.New("patch status: conflict"),
			transient, v1alpha1.ReasonInvalidConfiguration},
		{"a Secret without a usable key set", cloud.CredentialsErrorf("no token"),
			errorClass{reason: v1alpha1.ReasonCredentialsNotFound, endsSession: true, setup: true}, v1alpha1.ReasonCredentialsNotFound},
		{"an origin the Secret does not allow", fmt.Errorf("list organizations: %w", &cloud.OriginError{Origin: "https://elsewhere.example"}),
			errorClass{reason: v1alpha1.ReasonOriginNotAllowed, endsSession: true, setup: true}, v1alpha1.ReasonOriginNotAllowed},
		{"a Secret that does not name the account", notLent,
			errorClass{reason: v1alpha1.ReasonCredentialsNotLent, endsSession: true, setup: true}, v1alpha1.ReasonCredentialsNotLent},
		{"consent withdrawn mid-session, the Secret gone", fmt.Errorf("%w: %w", errNotLent, cloud.CredentialsErrorf("secret ns/creds not found")),
			errorClass{reason: v1alpha1.ReasonCredentialsNotLent, endsSession: true, setup: true}, v1alpha1.ReasonCredentialsNotLent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
			got := classifySetup(tt.err)
			if got.reason != tt.setupReason || !got.endsSession {
				t.Errorf("classifySetup(%v) = %+v, want reason %s, ending the session", tt.err, got, tt.setupReason)
			}
		})
	}
}

// lendsTo's refusal keeps its own text: the status shows the Secret's annotation.
func TestNotLentKeepsItsMessage(t *testing.T) {
	err := lendsTo(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"}}, "prod")
	if !errors.Is(err, errNotLent) {
		t.Fatalf("lendsTo = %v, want an error matching errNotLent", err)
	}
	const want = "secret ns/creds does not lend its credentials to any account: annotate it with cloud.orgsync.io/accounts: prod"
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}
