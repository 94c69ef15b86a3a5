package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// lendsTo checks that the Secret consents to the account using it: its
// cloud.orgsync.io/accounts annotation names the account. A CloudAccount names both a
// Secret and an endpoint, so without this anyone allowed to create an account could
// send another team's credentials to a host of their choosing.
func lendsTo(secret *corev1.Secret, account string) error {
	value, ok := secret.Annotations[v1alpha1.AnnotationAccounts]
	if !ok {
		return notLentError{fmt.Errorf("secret %s/%s does not lend its credentials to any account: annotate it with %s: %s",
			secret.Namespace, secret.Name, v1alpha1.AnnotationAccounts, account)}
	}
	if !slices.Contains(consentingAccounts(value), account) {
		return notLentError{fmt.Errorf("secret %s/%s does not lend its credentials to account %s: its annotation %s names %q; add %s to it",
			secret.Namespace, secret.Name, account, v1alpha1.AnnotationAccounts, value, account)}
	}
	return nil
}

// errNotLent marks a Secret that does not lend the account its credentials; it also
// stops a session whose Secret stopped lending them.
var errNotLent = errors.New("credentials no longer lent")

// notLentError matches errNotLent and keeps its own text.
type notLentError struct{ error }

func (e notLentError) Unwrap() error      { return e.error }
func (notLentError) Is(target error) bool { return target == errNotLent }

// lentCredentials reads the account's Secret and checks its consent.
func (r *CloudAccountReconciler) lentCredentials(ctx context.Context, acct *v1alpha1.CloudAccount) (*corev1.Secret, error) {
	secret, err := r.credentials(ctx, acct)
	if err != nil {
		return nil, err
	}
	if err := lendsTo(secret, acct.Name); err != nil {
		return nil, err
	}
	return secret, nil
}

// errSecretChanged stops a session whose Secret changed what its provider is built
// from (its data or allowed origins): the provider, and the origin guard in it, follow
// the old Secret, so the session ends and the next reconcile builds anew.
var errSecretChanged = errors.New("credentials changed during the sync")

// stillLent checks the Secret again, from the cache, between the pages of a session:
// withdrawing its consent, or changing the credentials or origins the session's
// provider was built from (secretVersion), stops a sync in flight before its next
// remote request.
func (r *CloudAccountReconciler) stillLent(acct *v1alpha1.CloudAccount, secretVersion string) func(context.Context) error {
	return func(ctx context.Context) error {
		secret, err := r.lentCredentials(ctx, acct)
		if err != nil {
			return fmt.Errorf("%w: %w", errNotLent, err)
		}
		if credentialsVersion(secret) != secretVersion {
			return errSecretChanged
		}
		return nil
	}
}

// consentingAccounts splits the annotation's comma-separated account names.
func consentingAccounts(value string) []string {
	var names []string
	for name := range strings.SplitSeq(value, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// credentialsVersion identifies what a provider is built from in a Secret: its data and
// the origins it allows. Narrowing the origins rebuilds the provider at once; a change
// to labels or to the lending list alone does not.
func credentialsVersion(secret *corev1.Secret) string {
	v := dataHash(secret.Data)
	if origins, ok := secret.Annotations[v1alpha1.AnnotationOrigins]; ok {
		v += "+" + dataHash(map[string][]byte{v1alpha1.AnnotationOrigins: []byte(origins)})
	}
	return v
}
