#!/usr/bin/env bash
# Exports real objects from a running orgsync (make demo HOLD=1, or any cluster with
# its three providers synced) as the Argo CD health checks' test data: one mirror of
# every provisioning state of every provider, and accounts in each health they can
# show. It changes the cluster: it suspends one account and creates failing ones.
#
# usage: KUBECONFIG=... hack/export-health-testdata.sh [NAMESPACE of the Secrets]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ns="${1:-orgsync-system}"
dir=integrations/argocd/resource_customizations/cloud.orgsync.io

# export KIND NAME FILE: the object as the API server returns it, without the
# fields that change on every write.
export_obj() {
  kubectl get "$1" "$2" -o yaml | grep -v -E '^  (resourceVersion|uid):' > "$3"
  echo "wrote $3"
}

for kind in Organization ConnectCluster; do
  mkdir -p "$dir/$kind/testdata"
  kubectl get "$kind" -o jsonpath='{range .items[*]}{.spec.provider}{" "}{.status.provisioningState}{" "}{.metadata.name}{"\n"}{end}' |
    sort -u -k1,2 | sort -u -k1,2 -s | awk '!seen[$1" "$2]++' |
    while read -r provider state name; do
      export_obj "$kind" "$name" "$dir/$kind/testdata/${provider}_${state}.yaml"
    done
done

acc="$dir/CloudAccount/testdata"
mkdir -p "$acc"
for a in $(kubectl get cloudaccounts -o jsonpath='{.items[*].metadata.name}'); do
  provider="$(kubectl get cloudaccount "$a" -o jsonpath='{.spec.provider}')"
  export_obj cloudaccount "$a" "$acc/${provider}_synced.yaml"
done

# An account the user suspended.
first="$(kubectl get cloudaccounts -o jsonpath='{.items[0].metadata.name}')"
kubectl patch cloudaccount "$first" --type merge -p '{"spec":{"suspend":true}}' >/dev/null
gen="$(kubectl get cloudaccount "$first" -o jsonpath='{.metadata.generation}')"
kubectl wait cloudaccount "$first" --for=jsonpath='{.status.observedGeneration}'="$gen" --timeout=60s >/dev/null
export_obj cloudaccount "$first" "$acc/suspended.yaml"
kubectl patch cloudaccount "$first" --type merge -p '{"spec":{"suspend":false}}' >/dev/null

# A new generation the operator has not observed yet: export at once after the change.
second="$(kubectl get cloudaccounts -o jsonpath='{.items[1].metadata.name}')"
kubectl patch cloudaccount "$second" --type merge -p "{\"spec\":{\"syncInterval\":\"$((RANDOM % 50 + 6))m\"}}" >/dev/null
export_obj cloudaccount "$second" "$acc/new_generation.yaml"

# Accounts that stall: credentials refused, and a Secret that does not exist.
cf_api="$(kubectl get cloudaccounts -o jsonpath='{range .items[?(@.spec.provider=="CloudFoundry")]}{.spec.cloudFoundry.apiURL}{end}')"
kubectl -n "$ns" create secret generic health-wrong-password --from-literal=username=nobody --from-literal=password=wrong \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" annotate secret health-wrong-password --overwrite cloud.orgsync.io/accounts=cf-unauthorized \
  cloud.orgsync.io/origins="$cf_api" >/dev/null
for spec in "cf-unauthorized health-wrong-password" "cf-no-secret health-missing-secret"; do
  set -- $spec
  kubectl apply -f - >/dev/null <<YAML
apiVersion: cloud.orgsync.io/v1alpha1
kind: CloudAccount
metadata:
  name: $1
spec:
  provider: CloudFoundry
  cloudFoundry:
    apiURL: $cf_api
  credentialsSecretRef:
    name: $2
YAML
  kubectl wait cloudaccount "$1" --for=condition=Stalled --timeout=60s >/dev/null
  export_obj cloudaccount "$1" "$acc/${1#cf-}.yaml"
  kubectl delete cloudaccount "$1" --wait=false >/dev/null
done


# An account whose Secret does not lend it its credentials: the wrong-password Secret
# names only cf-unauthorized.
kubectl apply -f - >/dev/null <<YAML
apiVersion: cloud.orgsync.io/v1alpha1
kind: CloudAccount
metadata:
  name: cf-not-lent
spec:
  provider: CloudFoundry
  cloudFoundry:
    apiURL: $cf_api
  credentialsSecretRef:
    name: health-wrong-password
YAML
kubectl wait cloudaccount cf-not-lent --for=condition=Stalled --timeout=60s >/dev/null
export_obj cloudaccount cf-not-lent "$acc/not-lent.yaml"
kubectl delete cloudaccount cf-not-lent --wait=false >/dev/null

# An account in Plan mode, with a Secret of its own that lends itself to it.
cf_secret="$(kubectl get cloudaccounts -o jsonpath='{range .items[?(@.spec.provider=="CloudFoundry")]}{.spec.credentialsSecretRef.name}{end}')"
kubectl -n "$ns" get secret "$cf_secret" -o go-template='{{range $k, $v := .data}}{{$k}}={{$v | base64decode}}{{"\n"}}{{end}}' |
  kubectl -n "$ns" create secret generic health-plan --from-env-file=/dev/stdin --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" annotate secret health-plan --overwrite cloud.orgsync.io/accounts=cf-plan \
  cloud.orgsync.io/origins="$cf_api" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: cloud.orgsync.io/v1alpha1
kind: CloudAccount
metadata:
  name: cf-plan
spec:
  provider: CloudFoundry
  mode: Plan
  cloudFoundry:
    apiURL: $cf_api
  credentialsSecretRef:
    name: health-plan
YAML
kubectl wait cloudaccount cf-plan --for=jsonpath='{.status.plan.observedGeneration}'=1 --timeout=120s >/dev/null
export_obj cloudaccount cf-plan "$acc/plan.yaml"
kubectl delete cloudaccount cf-plan --wait=false >/dev/null
