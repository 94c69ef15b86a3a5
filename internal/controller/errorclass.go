package controller

import (
	"errors"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// errorClass is how the controller reads an error: the one place that does.
type errorClass struct {
	// reason is the Ready reason, and the event's, that the error reports.
	reason string
	// endsSession says retrying soon will not fix it: the session ends, the account
	// stalls, and it tries again on the sync interval or when the spec or the
	// Secret changes.
	endsSession bool
	// setup says the account's own spec or Secret is at fault. Building the provider,
	// such an error keeps its reason where any other is InvalidConfiguration; ending a
	// session, it makes the next version of the Secret count as a change.
	setup bool
}

// errorClasses reads errors by kind; the first row the error matches wins, so
// errNotLent, which wraps the error of reading the Secret, comes first. A kind added
// to the cloud package, or a new reason, is one row here and one in the test.
var errorClasses = []struct {
	kind  error
	class errorClass
}{
	{errNotLent, errorClass{reason: v1alpha1.ReasonCredentialsNotLent, endsSession: true, setup: true}},
	// The Secret does not allow its credentials where the account would send them;
	// nothing was sent.
	{cloud.ErrOriginNotAllowed, errorClass{reason: v1alpha1.ReasonOriginNotAllowed, endsSession: true, setup: true}},
	// A missing Secret, or one without a usable key set; nothing was sent.
	{cloud.ErrCredentials, errorClass{reason: v1alpha1.ReasonCredentialsNotFound, endsSession: true, setup: true}},
	{cloud.ErrUnauthorized, errorClass{reason: v1alpha1.ReasonUnauthorized, endsSession: true}},
	{cloud.ErrForbidden, errorClass{reason: v1alpha1.ReasonForbidden, endsSession: true}},
	{cloud.ErrBadRequest, errorClass{reason: v1alpha1.ReasonInvalidConfiguration, endsSession: true}},
	{cloud.ErrNotFound, errorClass{reason: v1alpha1.ReasonInvalidConfiguration, endsSession: true}},
	// A foreign next link, a looping token or an absurd listing will not fix itself in
	// seconds either; retrying from page one at once would only repeat it.
	{cloud.ErrUnsafe, errorClass{reason: v1alpha1.ReasonRemoteError, endsSession: true}},
}

// transient is the class of every other error: a remote 5xx or timeout after the
// client's own tries, an API-server write that failed. The session is kept and
// retried where it stopped.
var transient = errorClass{reason: v1alpha1.ReasonRemoteError}

// classify reads an error met while listing and writing.
func classify(err error) errorClass {
	for _, row := range errorClasses {
		if errors.Is(err, row.kind) {
			return row.class
		}
	}
	return transient
}

// classifySetup reads an error met while building the provider or the session's
// lists from the spec and Secret. Nothing was listed yet, so the account stalls: with
// the error's own reason when it blames the spec or Secret, else InvalidConfiguration.
func classifySetup(err error) errorClass {
	if c := classify(err); c.setup {
		return c
	}
	return errorClass{reason: v1alpha1.ReasonInvalidConfiguration, endsSession: true}
}
