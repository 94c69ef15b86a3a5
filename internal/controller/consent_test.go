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

// The provider is rebuilt when the Secret's data or its allowed origins change, not
// when its lending list or labels do.
func TestCredentialsVersion(t *testing.T) {
	base := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{v1alpha1.AnnotationAccounts: "a"}},
		Data: map[string][]byte{"token": []byte("t")}}
	v := credentialsVersion(base)
	lent := base.DeepCopy()
	lent.Annotations[v1alpha1.AnnotationAccounts] = "a,b"
	lent.Labels = map[string]string{"x": "y"}
	if credentialsVersion(lent) != v {
		t.Error("a change to the lending list or the labels changes the version")
	}
	named := base.DeepCopy()
	named.Annotations[v1alpha1.AnnotationOrigins] = "https://api.example.com"
	narrowed := named.DeepCopy()
	narrowed.Annotations[v1alpha1.AnnotationOrigins] = "https://api.example.com/v3/"
	if credentialsVersion(named) == v || credentialsVersion(narrowed) == credentialsVersion(named) {
		t.Error("a change to the allowed origins does not change the version")
	}
}
