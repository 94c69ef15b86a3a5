package chart_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fences upgrades with the egress NetworkPolicy, a CA bundle and an extra volume, and
// checks that the API server takes them and still admits the pod where restricted is
// enforced.
func (s *installStory) fences(t *testing.T) {
	ctx, c, kube, helm := s.ctx, s.c, s.kube, s.helm
	values := filepath.Join(t.TempDir(), "fences.yaml")
	if err := os.WriteFile(values, []byte(`networkPolicy:
  enabled: true
  apiServer:
    cidrs: [192.0.2.10/32]
extraVolumes:
  - name: scratch
    emptyDir: {sizeLimit: 1Mi}
extraVolumeMounts:
  - {name: scratch, mountPath: /scratch}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, testCA(t), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, kube, helm, "upgrade", "orgsync", chartDir, "-n", installNamespace, "-f", s.values, "-f", values,
		"--set-file", "caBundle.pem="+caFile)

	t.Run("the NetworkPolicy, the CA bundle and the extra volume are installed, and the pod is admitted", func(t *testing.T) {
		var np networkingv1.NetworkPolicy
		if err := c.Get(ctx, client.ObjectKey{Namespace: installNamespace, Name: "orgsync"}, &np); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}) || len(np.Spec.Egress) != 3 {
			t.Errorf("NetworkPolicy: types %v, %d egress rules; want Egress and 3", np.Spec.PolicyTypes, len(np.Spec.Egress))
		}
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: installNamespace, Name: "orgsync-ca-bundle"}, &cm); err != nil {
			t.Fatal(err)
		}
		if block, _ := pem.Decode([]byte(cm.Data["ca.crt"])); block == nil || block.Type != "CERTIFICATE" {
			t.Errorf("the CA bundle ConfigMap holds no certificate: %q", cm.Data["ca.crt"])
		}
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKeyFromObject(&s.deployment), &d); err != nil {
			t.Fatal(err)
		}
		mounts := d.Spec.Template.Spec.Containers[0].VolumeMounts
		if !slices.ContainsFunc(mounts, func(m corev1.VolumeMount) bool { return m.Name == "ca-bundle" }) ||
			!slices.ContainsFunc(mounts, func(m corev1.VolumeMount) bool { return m.Name == "scratch" }) {
			t.Errorf("mounts %v lack the CA bundle or the extra volume", mounts)
		}
		if err := c.Create(ctx, podOf(d), client.DryRunAll); err != nil {
			t.Fatalf("restricted namespace refused the pod with the CA bundle and extra volume: %v", err)
		}
	})
}

// testCA is a throw-away self-signed CA certificate in PEM.
func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "private foundation CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
