// Package selfcheck is what the chart's 'helm test' runs, in the operator's own
// image ('/manager check'), since no other image can be assumed pullable: it
// checks that the API server serves the operator's CRDs and that the operator
// answers, by the Deployment's pods passing their readiness probes and, with
// leader election, the leader renewing its Lease while the check watches.
//
// It reads everything through the API server, never the pods' addresses or a
// Service, so it works wherever the API server is reachable.
package selfcheck

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/orgsync/orgsync/api/v1alpha1"
)

// Resources are the operator's custom resources, which must be served.
var Resources = []schema.GroupVersionResource{
	v1alpha1.GroupVersion.WithResource("cloudaccounts"),
	v1alpha1.GroupVersion.WithResource("organizations"),
	v1alpha1.GroupVersion.WithResource("connectclusters"),
}

// Check says what to look at.
type Check struct {
	Namespace  string
	Deployment string
	// Lease is the leader election Lease; empty without leader election.
	Lease   string
	Timeout time.Duration
	// Poll is how often the Deployment and Lease are read again.
	Poll time.Duration
}

// ErrNotAnswering is returned when the operator does not show it runs in time.
var ErrNotAnswering = errors.New("the operator does not answer")

// Run runs the check and reports each finding to out.
func Run(ctx context.Context, cfg *rest.Config, c Check, out io.Writer) error {
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}

	for _, gvr := range Resources {
		list, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return fmt.Errorf("list %s: %w", gvr.GroupResource(), err)
		}
		fmt.Fprintf(out, "served: %s %s (resourceVersion %s)\n", gvr.GroupResource(), gvr.Version, list.GetResourceVersion())
	}

	var ready string
	err = wait.PollUntilContextCancel(ctx, c.Poll, true, func(ctx context.Context) (bool, error) {
		d, err := kube.AppsV1().Deployments(c.Namespace).Get(ctx, c.Deployment, metav1.GetOptions{})
		if err != nil {
			ready = err.Error()
			return false, nil
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		s := d.Status
		ready = fmt.Sprintf("%d of %d replicas ready, %d updated", s.ReadyReplicas, want, s.UpdatedReplicas)
		return want > 0 && s.ObservedGeneration >= d.Generation && s.ReadyReplicas == want && s.UpdatedReplicas == want, nil
	})
	if err != nil {
		return fmt.Errorf("%w: deployment %s/%s: %s", ErrNotAnswering, c.Namespace, c.Deployment, ready)
	}
	fmt.Fprintf(out, "ready: deployment %s/%s, %s (readiness probes answered)\n", c.Namespace, c.Deployment, ready)

	if c.Lease == "" {
		return nil
	}
	var first, last *metav1.MicroTime
	var holder string
	err = wait.PollUntilContextCancel(ctx, c.Poll, true, func(ctx context.Context) (bool, error) {
		l, err := kube.CoordinationV1().Leases(c.Namespace).Get(ctx, c.Lease, metav1.GetOptions{})
		if err != nil || l.Spec.RenewTime == nil || l.Spec.HolderIdentity == nil {
			return false, nil
		}
		holder, last = *l.Spec.HolderIdentity, l.Spec.RenewTime
		if first == nil {
			first = last
		}
		return last.After(first.Time), nil
	})
	if err != nil {
		return fmt.Errorf("%w: lease %s/%s was not renewed within %s (holder %q)", ErrNotAnswering, c.Namespace, c.Lease, c.Timeout, holder)
	}
	fmt.Fprintf(out, "leader: %s renewed lease %s/%s at %s\n", strings.SplitN(holder, "_", 2)[0], c.Namespace, c.Lease, last.UTC().Format(time.RFC3339))
	return nil
}

// Main is '/manager check ARGS': it runs the check with the pod's credentials and
// returns the exit code.
func Main(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	c := Check{}
	fs.StringVar(&c.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "The operator's namespace.")
	fs.StringVar(&c.Deployment, "deployment", "", "The operator's Deployment (required).")
	fs.StringVar(&c.Lease, "lease", "", "The leader election Lease; empty when leader election is off.")
	fs.DurationVar(&c.Timeout, "timeout", 2*time.Minute, "How long the operator has to show it runs.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.Namespace == "" || c.Deployment == "" {
		fmt.Fprintln(os.Stderr, "check: give --deployment and --namespace (or POD_NAMESPACE)")
		return 2
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		return 1
	}
	if err := Run(context.Background(), cfg, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "check: FAIL:", err)
		return 1
	}
	fmt.Println("check: ok")
	return 0
}
