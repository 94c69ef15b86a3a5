#!/usr/bin/env bash
# Stops the node that hack/node/up.sh started in DIR and removes what it left on the
# host: its processes (by the PIDs it recorded, and every process still in its private
# mount namespace, which only the node's own processes can be in), the kubepods cgroups
# the kubelet made (deepest first), and DIR itself (unless NODE_KEEP=1, for the logs).
# Safe to run on a node that started only in part, or twice.
#
# usage: hack/node/down.sh DIR
set -uo pipefail

dir="${1:?usage: hack/node/down.sh DIR}"
[ -d "$dir" ] || exit 0
dir="$(cd "$dir" && pwd)"
log() { echo "node-down: $(date +%T) $*" >&2; }

pid_of() { cat "$dir/pids/$1.pid" 2>/dev/null; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# stop NAME: SIGTERM, then SIGKILL after 10 s.
stop() {
  local pid; pid="$(pid_of "$1")"
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do alive "$pid" || return 0; sleep 0.1; done
  log "$1 ($pid) did not stop; killing it"
  kill -KILL "$pid" 2>/dev/null
  sleep 0.2
}

# Workloads first, while the kubelet can still stop them properly.
if alive "$(pid_of kubelet)" && [ -f "$dir/env" ]; then
  # shellcheck disable=SC1091
  . "$dir/env"
  for ns in $("$NODE_KUBECTL" get ns -o name 2>/dev/null | grep -v -E '/(default|kube-system|kube-public|kube-node-lease)$'); do
    "$NODE_KUBECTL" delete "$ns" --wait=false >/dev/null 2>&1
  done
  "$NODE_KUBECTL" delete pods --all -A --grace-period=5 --timeout=30s >/dev/null 2>&1
fi
for c in kubelet kube-scheduler kube-controller-manager; do stop "$c"; done

# Containers: kill the tasks, so their shims exit, then containerd itself.
if alive "$(pid_of containerd)" && [ -f "$dir/env" ]; then
  . "$dir/env"
  for id in $($NODE_CTR tasks ls -q 2>/dev/null); do
    $NODE_CTR tasks kill -s SIGKILL "$id" >/dev/null 2>&1
  done
  sleep 0.5
  for id in $($NODE_CTR tasks ls -q 2>/dev/null); do
    $NODE_CTR tasks delete -f "$id" >/dev/null 2>&1
  done
fi
stop containerd

# Whatever is still in the node's mount namespace (shims, container processes) is
# the node's own: kill it by PID, then the namespace's holder, which ends the
# namespace and with it every mount made there (overlays, netns, volumes).
ns="$(pid_of mountns)"
if alive "$ns"; then
  mnt="$(readlink "/proc/$ns/ns/mnt")"
  for _ in 1 2 3; do
    left=""
    for p in /proc/[0-9]*; do
      p="${p#/proc/}"
      [ "$p" = "$ns" ] && continue
      [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$mnt" ] && left+=" $p"
    done
    [ -z "$left" ] && break
    log "killing what is left in the node's mount namespace:$left"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
    sleep 0.5
  done
fi
stop mountns
for c in forward kube-apiserver etcd; do stop "$c"; done

# Container processes sit in the kubepods cgroups; any still there belong to this
# node's pods (they started under its kubelet) and go by PID before the rmdirs.
for top in /sys/fs/cgroup/*/kubepods; do
  [ -d "$top" ] || continue
  for procs in $(find "$top" -name cgroup.procs); do
    for p in $(cat "$procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
done
sleep 0.2
for top in /sys/fs/cgroup/*/kubepods; do
  [ -d "$top" ] || continue
  find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null
  [ -d "$top" ] && log "could not remove $top"
done

if grep -q " $dir" /proc/self/mountinfo; then
  log "mounts under $dir are left on the host:"; grep " $dir" /proc/self/mountinfo >&2
fi
if [ "${NODE_KEEP:-}" = 1 ]; then
  rm -rf "$dir/pids"
  log "stopped; kept $dir"
else
  rm -rf "$dir"
  log "stopped; removed $dir"
fi
