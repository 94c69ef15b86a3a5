package cloud

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"

	"github.com/go-logr/logr"
)

// Connection failures, said in words a user can act on. A raw dial or TLS error names
// addresses, ports and what answered on them: copied into an account's status it
// would make the operator a port scanner for whoever may create accounts. Conditions
// and events get one of these; the operator's log gets the cause.
const (
	failureTimeout      = "the remote API did not answer in time"
	failureUntrusted    = "the remote API's TLS certificate is not trusted (a private CA must be added to the operator's CA bundle)"
	failureWrongHost    = "the remote API's TLS certificate does not name the host the account points at"
	failureTLS          = "the TLS handshake with the remote API failed"
	failureUnreachable  = "the remote API could not be reached, or the connection broke"
	failureBodyTooLarge = "the remote API's answer was larger than the client accepts"
)

// describeFailure classifies a failed request without quoting it.
func describeFailure(err error) string {
	var (
		netErr      net.Error
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		echRejected *tls.ECHRejectionError
	)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return failureBodyTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return failureTimeout
	case errors.As(err, &hostname): // a CA bundle would not help: the address is wrong
		return failureWrongHost
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &invalid):
		return failureUntrusted
	case errors.As(err, &recordErr), errors.As(err, &alertErr), errors.As(err, &echRejected):
		return failureTLS
	}
	return failureUnreachable
}

// logFailure keeps the cause in the operator's log, where only its operators read it.
// A transport error holds no credential; the URL is logged without its query.
func logFailure(ctx context.Context, what string, u *url.URL, err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text quotes the whole URL, page tokens included
	}
	target := ""
	if u != nil {
		target = Redacted(u)
	}
	logr.FromContextOrDiscard(ctx).Info("remote request failed", "what", what, "url", target, "cause", err.Error())
}

// ConnectionFailure is for providers that make requests outside the Requester: it logs
// the cause of a request that got no answer and returns it in describeFailure's words.
func ConnectionFailure(ctx context.Context, what string, u *url.URL, err error) string {
	logFailure(ctx, what, u, err)
	return describeFailure(err)
}
