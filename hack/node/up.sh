#!/usr/bin/env bash
# Starts a real one-node Kubernetes cluster (etcd, kube-apiserver, controller-manager,
# scheduler, containerd + runc, kubelet) for tests, with everything under DIR, and
# waits until the node is Ready. Needs root on a Linux machine with cgroups.
#
# Nothing leaves the machine: every component listens on 127.0.0.1, the API server
# reaches the kubelet by a hostname that must resolve to 127.x, and pods live on a
# private network (198.18.0.0/24, host end 198.18.0.1) whose traffic the host does not
# forward (ip_forward stays 0). Pods reach the API server through a forwarder on
# 198.18.0.1 (set KUBERNETES_SERVICE_HOST/PORT to it: there is no kube-proxy, and
# Service ClusterIPs lead nowhere).
#
# The host is left as it was: containerd and the kubelet run in a private mount
# namespace with copy-on-write views of /var and /run and private files over the
# sysctls they would change. hack/node/down.sh DIR stops it all; this script runs it
# itself if starting fails.
#
# With NODE_REGISTRY=127.0.0.1:PORT, containerd pulls images from that plain-HTTP
# registry on loopback.
#
# usage: hack/node/up.sh DIR     then: source DIR/env (KUBECONFIG, NODE_* variables)
set -euo pipefail

dir="${1:?usage: hack/node/up.sh DIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

API_PORT="${NODE_API_PORT:-16443}"
ETCD_PORT="${NODE_ETCD_PORT:-23791}"
POD_SUBNET=198.18.0.0/24
POD_HOST=198.18.0.1
# Service IPs come from the same test-net block as the pods: nothing routes there, and
# with no kube-proxy nothing should ever be sent to one (the e2e checks InAddrErrors).
SERVICE_RANGE=198.18.1.0/24
PAUSE_IMAGE=orgsync.local/pause:1

log() { echo "node-up: $(date +%T) $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (cgroups, mounts, network namespaces)"
node="$(hostname)"
# The API server reaches the kubelet by hostname: that name must mean loopback.
getent hosts "$node" | awk '{print $1}' | grep -q '^127\.' ||
  die "hostname $node does not resolve to 127.x (getent hosts $node); traffic to the kubelet would leave loopback"
node="$(echo "$node" | tr '[:upper:]' '[:lower:]')"
for c in /sys/fs/cgroup/*/kubepods; do
  if [ -e "$c" ]; then die "$c exists: another node runs here, or one was not cleaned up (hack/node/down.sh)"; fi
done
if [ -e "$dir/pids" ]; then die "$dir already holds a node"; fi
# The kubelet evicts every pod, and admits none, once the disk under its root holds
# less than the evictionHard amounts below: with a nearly full disk a test would wait
# for a pod that never starts. Say so now instead.
min_free_kib=$((2 * 1024 * 1024))
free_kib="$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')"
[ "$free_kib" -ge "$min_free_kib" ] ||
  die "only $((free_kib / 1024)) MiB free on the disk holding $dir; the node needs 2 GiB (its kubelet evicts pods below 1 GiB)"

# From here on, a failure (or an interrupt) stops whatever has started.
started=""
trap 'if [ -z "$started" ]; then log "start failed; stopping"; "$root/hack/node/down.sh" "$dir" || true; fi' EXIT
trap 'exit 130' INT TERM
mkdir -p "$dir"/{pids,logs,bin,pki,etcd,images,sys,cni/net.d,cni/ipam,containerd,kubelet}

eval "$("$root/hack/node/assets.sh")"
K=$NODE_K8S
PATH="$NODE_DEB/usr/bin:$NODE_DEB/usr/sbin:$PATH"
export PATH

# start NAME CMD...: runs CMD in its own session (so a Ctrl-C to the caller does
# not kill it before down.sh stops things in order), records its PID.
start() {
  local name="$1"; shift
  setsid "$@" >"$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/pids/$name.pid"
}

# wait_for NAME CMD...: waits up to 60 s for CMD to succeed while NAME still runs;
# on failure shows the end of NAME's log.
wait_for() {
  local name="$1" pid; shift
  pid="$(cat "$dir/pids/$name.pid")"
  for _ in $(seq 120); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 15 "$dir/logs/$name.log" >&2
  die "$name did not come up (log: $dir/logs/$name.log)"
}

log "building the sandbox image and the forwarder"
CGO_ENABLED=0 go -C "$root" build -trimpath -o "$dir/bin/pause" ./test/node/pause
CGO_ENABLED=0 go -C "$root" build -trimpath -o "$dir/bin/forward" ./test/node/forward
go -C "$root" run ./test/node/imagepack -binary "$dir/bin/pause" -ref "$PAUSE_IMAGE" -out "$dir/images/pause.tar"

log "certificates"
pki="$dir/pki"
# P-256 keys: generated at once, where RSA keys take seconds each on a busy machine.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
openssl req -x509 "${ec[@]}" -nodes -days 2 -subj "/CN=orgsync-node-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
# cert NAME SUBJECT [SANS]: a key and a certificate signed by the node's CA.
cert() {
  local ext="$pki/$1.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' > "$ext"
  if [ -n "${3:-}" ]; then
    printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$3" >> "$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >> "$ext"
  fi
  openssl req "${ec[@]}" -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$ext" -out "$pki/$1.crt" 2>/dev/null
}
cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$POD_HOST,DNS:localhost"
cert admin "/O=system:masters/CN=orgsync-e2e-admin"
cert apiserver-kubelet "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kubelet "/O=system:nodes/CN=system:node:$node"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$pki/sa.key"
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# kubeconfig NAME FILE: a kubeconfig for the certificate NAME.
kubeconfig() {
  cat > "$2" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key"}
contexts:
- name: node
  context: {cluster: node, user: $1}
current-context: node
EOF
}
kubeconfig admin "$dir/kubeconfig"
for c in controller-manager scheduler kubelet; do kubeconfig "$c" "$dir/$c.kubeconfig"; done
kubectl=("$K/kubectl" --kubeconfig "$dir/kubeconfig")

log "etcd and kube-apiserver"
start etcd "$NODE_ETCD" --name node --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
  --initial-cluster "node=http://127.0.0.1:$((ETCD_PORT + 10))"
start kube-apiserver "$K/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --anonymous-auth=false \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --service-cluster-ip-range "$SERVICE_RANGE" \
  --service-account-issuer "https://127.0.0.1:$API_PORT" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet.crt" --kubelet-client-key "$pki/apiserver-kubelet.key" \
  --kubelet-preferred-address-types Hostname \
  --endpoint-reconciler-type none \
  --profiling=false
wait_for kube-apiserver "${kubectl[@]}" get --raw /readyz

log "controller-manager and scheduler"
start kube-controller-manager "$K/kube-controller-manager" \
  --kubeconfig "$dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --controllers '*' \
  --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
  --use-service-account-credentials --service-cluster-ip-range "$SERVICE_RANGE" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --profiling=false
start kube-scheduler "$K/kube-scheduler" \
  --kubeconfig "$dir/scheduler.kubeconfig" \
  --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
  --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false

log "forwarder $POD_HOST:$API_PORT -> API server"
start forward "$dir/bin/forward" "$POD_HOST:$API_PORT=127.0.0.1:$API_PORT"

log "private mount namespace for containerd and the kubelet"
start mountns unshare --mount --propagation private sleep infinity
ns="$(cat "$dir/pids/mountns.pid")"
for _ in $(seq 50); do
  [ "$(readlink "/proc/$ns/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
  sleep 0.1
done
[ "$(readlink "/proc/$ns/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || die "no private mount namespace"
in_ns() { nsenter --target "$ns" --mount -- "$@"; }
# The kubelet and the CNI plugins write fixed paths under /var and /run: give them
# overlays whose changes land in DIR. The sysctl files they would set get private
# stand-ins holding the values they want (ip_forward stays 0: nothing is routed).
for d in var run; do
  mkdir -p "$dir/ovl/$d/upper" "$dir/ovl/$d/work"
  in_ns mount -t overlay overlay -o "lowerdir=/$d,upperdir=$dir/ovl/$d/upper,workdir=$dir/ovl/$d/work" "/$d"
done
for s in vm/overcommit_memory=1 kernel/panic=10 kernel/panic_on_oops=1 net/ipv4/ip_forward=0; do
  f="$dir/sys/$(echo "${s%=*}" | tr / .)"
  echo "${s#*=}" > "$f"
  in_ns mount --bind "$f" "/proc/sys/${s%=*}"
done

log "containerd"
cd_dir="$dir/containerd"
cat > "$cd_dir/config.toml" <<EOF
version = 2
root = "$cd_dir/root"
state = "$cd_dir/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$cd_dir/containerd.sock"
[ttrpc]
  address = "$cd_dir/containerd.sock.ttrpc"
[debug]
  address = "$cd_dir/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$cd_dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # No CAP_SYS_RESOURCE here: runc cannot lower oom_score_adj below the daemon's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$NODE_DEB/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$NODE_DEB/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
  # Per-registry hosts.toml files; read at each pull.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$cd_dir/certs.d"
EOF
# NODE_REGISTRY=127.0.0.1:PORT: a plain-HTTP registry on loopback the kubelet may
# pull from (the e2e test's, hack/e2e.sh). Nothing else is reachable.
if [ -n "${NODE_REGISTRY:-}" ]; then
  case "$NODE_REGISTRY" in
    127.*:*|localhost:*) ;;
    *) die "NODE_REGISTRY=$NODE_REGISTRY: only a loopback registry (127.x:PORT) is allowed" ;;
  esac
  mkdir -p "$cd_dir/certs.d/$NODE_REGISTRY"
  cat > "$cd_dir/certs.d/$NODE_REGISTRY/hosts.toml" <<EOF
server = "http://$NODE_REGISTRY"

[host."http://$NODE_REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
fi
cat > "$dir/cni/net.d/10-node.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "orgsync-node",
  "plugins": [{
    "type": "ptp",
    "ipMasq": false,
    "ipam": {
      "type": "host-local",
      "dataDir": "$dir/cni/ipam",
      "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$POD_HOST"}]],
      "routes": [{"dst": "0.0.0.0/0"}]
    }
  }]
}
EOF
start containerd nsenter --target "$ns" --mount -- "$NODE_DEB/usr/bin/containerd" --config "$cd_dir/config.toml"
ctr=(ctr --address "$cd_dir/containerd.sock" -n k8s.io)
wait_for containerd "${ctr[@]}" version
"${ctr[@]}" images import "$dir/images/pause.tar" >/dev/null

log "kubelet"
kl="$dir/kubelet"
cat > "$kl/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
containerRuntimeEndpoint: "unix://$cd_dir/containerd.sock"
# This kind of VM mounts cgroup v1 hierarchies.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
protectKernelDefaults: true
podLogsDir: "$kl/pod-logs"
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# Amounts, not percentages: on a large disk, 2% free is still gigabytes a test node
# does not need.
evictionHard: {memory.available: "100Mi", nodefs.available: "1Gi", imagefs.available: "1Gi"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet nsenter --target "$ns" --mount -- "$K/kubelet" --config "$kl/config.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
  --root-dir "$kl/root" --cert-dir "$kl/pki" --hostname-override "$node"

cat > "$dir/env" <<EOF
export KUBECONFIG="$dir/kubeconfig"
export NODE_DIR="$dir"
export NODE_NAME="$node"
export NODE_KUBECTL="$K/kubectl"
export NODE_CTR="$NODE_DEB/usr/bin/ctr --address $cd_dir/containerd.sock -n k8s.io"
export NODE_POD_HOST="$POD_HOST"
export NODE_API_PORT="$API_PORT"
export NODE_FORWARD="$dir/bin/forward"
export NODE_REGISTRY="${NODE_REGISTRY:-}"
EOF

log "waiting for node $node to be Ready"
wait_for kubelet "${kubectl[@]}" get node "$node"
wait_for kubelet "${kubectl[@]}" wait --for=condition=Ready "node/$node" --timeout=1s
# Pods need their namespace's default ServiceAccount, which the controller-manager makes.
for _ in $(seq 120); do
  "${kubectl[@]}" -n default get serviceaccount default >/dev/null 2>&1 && break
  sleep 0.5
done
started=1
log "node $node Ready; source $dir/env"
echo "$dir/kubeconfig"
