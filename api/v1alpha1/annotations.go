package v1alpha1

// AnnotationSyncRequestedAt asks for a sync now: set it on a CloudAccount to any new
// value (a timestamp, say) and the operator syncs at once and, when that sync ends,
// copies the value into status.lastHandledSyncRequest. The same idea as Flux's
// reconcile.fluxcd.io/requestedAt.
const AnnotationSyncRequestedAt = "cloud.orgsync.io/sync-requested-at"
