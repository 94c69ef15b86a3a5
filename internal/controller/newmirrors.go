package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// newMirrorWrites are the two writes of a new mirror.
type newMirrorWrites interface {
	// create creates obj and sets its UID, resourceVersion and generation from the
	// answer.
	create(ctx context.Context, obj v1alpha1.Mirror) error
	// updateStatus writes obj's status, at obj's resourceVersion.
	updateStatus(ctx context.Context, obj v1alpha1.Mirror) error
}

// newMirrorWriter writes new mirrors, a create and then a status write each, and
// leaves the API server's answers undecoded but for what the status write needs of
// the created mirror: its UID, resourceVersion and generation. A cold sync makes these
// two writes for every mirror, and decoding both answers into objects that nothing
// reads was about a quarter of the operator's CPU in a 10,000-mirror cold sync
// (docs/performance.md).
type newMirrorWriter struct {
	rest   rest.Interface
	scheme *runtime.Scheme
	mapper meta.RESTMapper
}

// newMirrorWriterOf builds the writer on the manager's HTTP client: its connections
// to the API server, not new ones.
func newMirrorWriterOf(mgr ctrl.Manager) (*newMirrorWriter, error) {
	return newMirrorWriterFor(mgr.GetConfig(), mgr.GetHTTPClient(), mgr.GetScheme(), mgr.GetRESTMapper())
}

func newMirrorWriterFor(base *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, mapper meta.RESTMapper) (*newMirrorWriter, error) {
	cfg := rest.CopyConfig(base)
	cfg.APIPath = "/apis"
	cfg.GroupVersion = &v1alpha1.GroupVersion
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	// JSON both ways, whatever client-go's CBOR gates say: the answer is read as JSON.
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	rc, err := rest.RESTClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("build the REST client for new mirrors: %w", err)
	}
	return &newMirrorWriter{rest: rc, scheme: scheme, mapper: mapper}, nil
}

func (w *newMirrorWriter) create(ctx context.Context, obj v1alpha1.Mirror) error {
	resource, err := w.resource(obj)
	if err != nil {
		return err
	}
	answer := w.rest.Post().Resource(resource).Body(obj).Do(ctx)
	if err := answer.Error(); err != nil {
		return err // the server's Status, with its reason and causes
	}
	body, err := answer.Raw()
	if err != nil {
		return err
	}
	var created struct {
		Metadata struct {
			UID             types.UID `json:"uid"`
			ResourceVersion string    `json:"resourceVersion"`
			Generation      int64     `json:"generation"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		return fmt.Errorf("read the API server's answer: %w", err)
	}
	obj.SetUID(created.Metadata.UID)
	obj.SetResourceVersion(created.Metadata.ResourceVersion)
	obj.SetGeneration(created.Metadata.Generation) // the status's observedGeneration
	return nil
}

func (w *newMirrorWriter) updateStatus(ctx context.Context, obj v1alpha1.Mirror) error {
	resource, err := w.resource(obj)
	if err != nil {
		return err
	}
	return w.rest.Put().Resource(resource).Name(obj.GetName()).SubResource("status").Body(obj).Do(ctx).Error()
}

// resource names obj's kind in URLs: organizations, connectclusters.
func (w *newMirrorWriter) resource(obj runtime.Object) (string, error) {
	gvks, _, err := w.scheme.ObjectKinds(obj)
	if err != nil {
		return "", err
	}
	mapping, err := w.mapper.RESTMapping(gvks[0].GroupKind(), gvks[0].Version)
	if err != nil {
		return "", err
	}
	return mapping.Resource.Resource, nil
}
