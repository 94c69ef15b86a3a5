package controller

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// defaultMaxMirrors is spec.maxMirrors when unset (the CRD's default too). A mirror
// costs at most about 3.5 KiB of the operator's peak memory (under 1 KB of live heap,
// the cache's copy, plus the collector's headroom: about 1.7 KiB at the default
// GOGC=50, 3.5 KiB at GOGC=100; docs/performance.md), on top of about 60 MiB: 25,000
// mirrors are at most about 145 MiB, so the chart's 512 MiB limit holds two full
// accounts, some smaller ones and a huge listing's transient memory.
const defaultMaxMirrors = 25000

// errCeilingReached is a create the account's ceiling does not allow.
var errCeilingReached = errors.New("mirror ceiling reached")

// mirrorCeiling hands out the creates an account may still make in one session: the
// ceiling less the mirrors it held when the session started. Existing mirrors are
// always updated; only creates count. The page writers take slots at the same time.
type mirrorCeiling struct {
	limit int
	left  atomic.Int64
}

// maxMirrors is the account's ceiling.
func maxMirrors(acct *v1alpha1.CloudAccount) int {
	if acct.Spec.MaxMirrors > 0 {
		return int(acct.Spec.MaxMirrors)
	}
	return defaultMaxMirrors
}

// ceilingFor counts the account's mirrors (as its session reads them) against its
// ceiling.
func ceilingFor(ctx context.Context, acct *v1alpha1.CloudAccount, mirrors accountMirrors) (*mirrorCeiling, error) {
	held, err := mirrors.all(ctx)
	if err != nil {
		return nil, fmt.Errorf("count mirrors: %w", err)
	}
	c := &mirrorCeiling{limit: maxMirrors(acct)}
	c.left.Store(int64(c.limit - len(held)))
	return c, nil
}

// admit takes a slot for one create, or says there is none left. A refused admit
// takes nothing, so a later refund makes room again.
func (c *mirrorCeiling) admit() bool {
	if c == nil {
		return true
	}
	for {
		left := c.left.Load()
		if left <= 0 {
			return false
		}
		if c.left.CompareAndSwap(left, left-1) {
			return true
		}
	}
}

// refund gives back the slot of a create that did not happen.
func (c *mirrorCeiling) refund() {
	if c != nil {
		c.left.Add(1)
	}
}

// createWithin creates the mirror if the ceiling leaves room for it.
func (w *mirrorWriter) createWithin(ctx context.Context, desired v1alpha1.Mirror) error {
	if !w.ceiling.admit() {
		return errCeilingReached
	}
	created, err := w.create(ctx, desired)
	if !created && !apierrors.IsAlreadyExists(err) {
		w.ceiling.refund() // no mirror came of it; one that exists keeps its slot
	}
	return err
}

// ceilingMessage says what the ceiling held back in this session, "" for nothing.
func ceilingMessage(acct *v1alpha1.CloudAccount, session *syncSession) string {
	orgs, ccs := session.capped.counts()
	if orgs+ccs == 0 {
		return ""
	}
	return fmt.Sprintf("mirror ceiling reached: %d remote items (%d organizations, %d connect clusters) were not mirrored "+
		"because the account may hold at most %d mirrors (spec.maxMirrors); existing mirrors are kept and updated. "+
		"Raise spec.maxMirrors, and the operator's memory limit with it, to mirror them",
		orgs+ccs, orgs, ccs, maxMirrors(acct))
}
