package controller

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

func TestLendsTo(t *testing.T) {
	secret := func(annotations map[string]string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds", Annotations: annotations}}
	}
	tests := []struct {
		name    string
		secret  *corev1.Secret
		wantErr string
	}{
		{"named alone", secret(map[string]string{v1alpha1.AnnotationAccounts: "prod"}), ""},
		{"named among others, with spaces", secret(map[string]string{v1alpha1.AnnotationAccounts: "dr, prod ,qa"}), ""},
		{"no annotation", secret(nil), "does not lend its credentials to any account"},
		{"other accounts only", secret(map[string]string{v1alpha1.AnnotationAccounts: "dr,qa"}), `names "dr,qa"; add prod`},
		{"a prefix is not the name", secret(map[string]string{v1alpha1.AnnotationAccounts: "prod-eu"}), "add prod"},
		{"empty", secret(map[string]string{v1alpha1.AnnotationAccounts: ""}), "add prod"},
		{"a wildcard is not a name", secret(map[string]string{v1alpha1.AnnotationAccounts: "*"}), "add prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := lendsTo(tt.secret, "prod")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("lendsTo: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("lendsTo = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
