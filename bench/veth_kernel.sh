#!/usr/bin/env bash
# Kernel-to-kernel TCP over a veth pair with every offload off and MTU 1500,
# so that every frame on the link is at most 1514 bytes: the reference for
# tcp_bench's "1500-byte frames" row (issue 3) and the veth rows of the
# real-link benchmarks. Two namespaces made here and removed on exit.
#   usage: veth_kernel.sh SECONDS  ->  prints one number: Gbit/s (receiver)
# Needs root, iproute2, ethtool and iperf3; prints "-" when it cannot run.
set -u
secs=${1:-2}
ns=slbench-$$
cleanup() {
	ip netns del "${ns}a" 2>/dev/null
	ip netns del "${ns}b" 2>/dev/null
}
trap cleanup EXIT
fail() { echo "-"; exit 0; }
command -v iperf3 >/dev/null && command -v ethtool >/dev/null || fail
ip netns add "${ns}a" 2>/dev/null || fail
ip netns add "${ns}b" || fail
ip link add slva-$$ netns "${ns}a" type veth peer name slvb-$$ netns "${ns}b" || fail
for side in a b; do
	dev=slv$side-$$
	ip -n "${ns}$side" link set lo up
	ip -n "${ns}$side" link set "$dev" mtu 1500 up
	ip netns exec "${ns}$side" ethtool -K "$dev" tso off gso off gro off \
		tx off rx off sg off >/dev/null 2>&1
done
ip -n "${ns}a" addr add 10.254.77.1/24 dev slva-$$
ip -n "${ns}b" addr add 10.254.77.2/24 dev slvb-$$
ip netns exec "${ns}a" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do
	ip netns exec "${ns}a" ss -ltn 2>/dev/null | grep -q ':5201 ' && break
	sleep 0.1
done
out=$(ip netns exec "${ns}b" iperf3 -c 10.254.77.1 -p 5201 -t "$secs" -J 2>/dev/null)
wait "$srv" 2>/dev/null
bps=$(printf '%s\n' "$out" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("-")
')
echo "$bps"
