package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/orgsync/orgsync/internal/devenv"
)

// The operator runs as the chart runs it: as a service account bound to the manager's
// generated RBAC, which API Priority and Fairness (APF) puts in workload-low, as in a
// real cluster. The exempt identity is the same account also in system:masters, which
// APF exempts: nothing but the API server itself limits it, so the run measures the
// operator's own ceiling. The bare client of a run takes the operator's identity.

const (
	serviceAccount = "orgsync"
	rbacFile       = "config/rbac/role.yaml"
)

// identity is who the operator and the bare client are to the API server.
type identity string

const (
	asServiceAccount identity = "service-account"
	asExempt         identity = "exempt"
)

func parseIdentities(list string) ([]identity, error) {
	var out []identity
	for f := range strings.SplitSeq(list, ",") {
		switch id := identity(strings.TrimSpace(f)); id {
		case asServiceAccount, asExempt:
			out = append(out, id)
		default:
			return nil, fmt.Errorf("unknown identity %q: want %s or %s", f, asServiceAccount, asExempt)
		}
	}
	return out, nil
}

// apf names the identity's API Priority and Fairness level, for the report.
func (id identity) apf() string {
	if id == asExempt {
		return "exempt"
	}
	return "workload-low"
}

// operatorIdentity grants the manager's roles to the operator's service account and
// returns a client configuration and a kubeconfig for it, as id.
func operatorIdentity(ctx context.Context, env *devenv.Env, id identity) (*rest.Config, []byte, error) {
	if err := applyManagerRBAC(ctx, env); err != nil {
		return nil, nil, err
	}
	user := "system:serviceaccount:" + devenv.Namespace + ":" + serviceAccount
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + devenv.Namespace, "system:authenticated"}
	if id == asExempt {
		groups = append(groups, "system:masters")
	}
	return env.AddUser(user, groups...)
}

func applyManagerRBAC(ctx context.Context, env *devenv.Env) error {
	data, err := os.ReadFile(rbacFile)
	if err != nil {
		return err
	}
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: serviceAccount, Namespace: devenv.Namespace}
	for {
		role := &unstructured.Unstructured{}
		if err := dec.Decode(&role.Object); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read %s: %w", rbacFile, err)
		}
		if len(role.Object) == 0 {
			continue
		}
		if err := env.Client.Create(ctx, role); err != nil {
			return fmt.Errorf("create %s %s: %w", role.GetKind(), role.GetName(), err)
		}
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: role.GetKind(), Name: role.GetName()}
		objMeta := metav1.ObjectMeta{Name: role.GetName() + "-binding", Namespace: role.GetNamespace()}
		var binding client.Object = &rbacv1.RoleBinding{ObjectMeta: objMeta, RoleRef: ref, Subjects: []rbacv1.Subject{subject}}
		if role.GetKind() == "ClusterRole" {
			binding = &rbacv1.ClusterRoleBinding{ObjectMeta: objMeta, RoleRef: ref, Subjects: []rbacv1.Subject{subject}}
		}
		if err := env.Client.Create(ctx, binding); err != nil {
			return fmt.Errorf("bind %s %s: %w", role.GetKind(), role.GetName(), err)
		}
	}
}
