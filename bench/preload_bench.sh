#!/usr/bin/env bash
# Unmodified programs through the LD_PRELOAD shim vs the kernel, in one run
# (issue 5's benchmark):
#   iperf3 TCP, both directions (and receiving once more with the kernel
#     sender on Reno instead of the default congestion control): the
#     iperf3 client under `sockline run` on a
#     TAP (the offloads `sockline run` sets by default) facing the kernel's
#     iperf3 server, vs both ends on the kernel over a veth pair (MTU 1500,
#     default offloads);
#   nginx (one process: master_process off; a 1 KiB file) loaded by wrk
#     (2 threads, 50 connections) from the kernel: nginx under `sockline run`
#     vs nginx on the kernel over the veth pair.
# Prints a table with the ratios (target: shim >= 1.0x kernel in each row).
#   usage: sudo bench/preload_bench.sh BUILD_DIR [IPERF_SECONDS [WRK_SECONDS]]
#   (5 and 10 by default; needs iperf3, nginx, wrk; about a minute)
# SL_PRELOAD_DRY=1 runs the "shim" legs on the kernel over a second veth
# pair (to check this script without the shim; the ratios are then ~1).
# Namespaces made here, removed on exit.
set -u
B=${1:?usage: preload_bench.sh BUILD_DIR [IPERF_SECONDS [WRK_SECONDS]]}
ISECS=${2:-5}
WSECS=${3:-10}
. "$(dirname "$0")/../tests/interop/preload_lib.sh" # nginx_conf, json_get
SL=$(cd "$B" && pwd)/sockline
PRELOAD=$(cd "$B" && pwd)/libsockline-preload.so
DRY=${SL_PRELOAD_DRY:-0}

if ((EUID)); then
	echo "preload_bench: needs root (namespaces, TAP)" >&2
	exit 1
fi
for t in iperf3 nginx wrk ip; do
	command -v $t >/dev/null || { echo "preload_bench: $t is missing" >&2; exit 1; }
done
if ((!DRY)) && [[ ! -x $SL || ! -f $PRELOAD ]]; then
	echo "preload_bench: no $SL or $PRELOAD" >&2
	exit 1
fi

NS=slpb-$$
TMP=$(mktemp -d /tmp/sl-preload-bench.XXXXXX)
JOBS=()
cleanup() {
	local ns p
	for p in "${JOBS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for ns in "${NS}a" "${NS}b" "${NS}k" "${NS}s"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for ns in "${NS}a" "${NS}b" "${NS}k" "${NS}s"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The kernel reference: server in a (10.244.1.1), client in b.
# The shim: the kernel in k (10.244.2.1) on a TAP, sockline at 10.244.2.2.
for n in a b k; do
	ip netns add "$NS$n" || exit 1
	ip -n "$NS$n" link set lo up
done
ip link add slpa netns "${NS}a" mtu 1500 type veth peer name slpb netns "${NS}b" mtu 1500
ip -n "${NS}a" addr add 10.244.1.1/24 dev slpa
ip -n "${NS}b" addr add 10.244.1.2/24 dev slpb
ip -n "${NS}a" link set slpa up
ip -n "${NS}b" link set slpb up
KA=10.244.2.1
SLA=10.244.2.2
if ((DRY)); then
	ip netns add "${NS}s" || exit 1
	ip -n "${NS}s" link set lo up
	ip link add slpk netns "${NS}k" mtu 1500 type veth peer name slps netns "${NS}s" mtu 1500
	ip -n "${NS}s" addr add $SLA/24 dev slps
	ip -n "${NS}s" link set slps up
	DEV=slpk
else
	ip -n "${NS}k" tuntap add dev slpt mode tap
	ip -n "${NS}k" link set slpt mtu 1500
	DEV=slpt
fi
ip -n "${NS}k" addr add $KA/24 dev $DEV
ip -n "${NS}k" link set $DEV up

# SHIM: the command line that puts a program on the sockline side; a new
# stack may come with a new MAC address: flush the kernel's entry first.
if ((DRY)); then
	SHIM=(ip netns exec "${NS}s")
else
	SHIM=(ip netns exec "${NS}k" "$SL" run --dev tap:slpt --addr "$SLA/24" --)
fi
flush() { ip -n "${NS}k" neigh flush dev $DEV 2>/dev/null; }
# listening NS PORT: until something in NS listens on TCP PORT.
listening() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$1" ss -Htln "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
# reachable NS ADDR PORT: until a connection from NS to ADDR:PORT works.
reachable() {
	local i
	for ((i = 0; i < 100; i++)); do
		timeout 2 ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# iperf SERVER_NS SERVER_ADDR CLIENT_CMD... -> Gbit/s received, or "-".
iperf() {
	local sns=$1 saddr=$2 json=$TMP/iperf.json srv
	shift 2
	ip netns exec "$sns" iperf3 -s -1 -p 5201 -B "$saddr" >/dev/null 2>&1 &
	srv=$!
	JOBS+=("$srv")
	listening "$sns" 5201 || { echo "-"; return; }
	timeout $((ISECS + 30)) "$@" -c "$saddr" -p 5201 -t "$ISECS" -J >"$json" 2>"$TMP/iperf.err"
	timeout 10 tail --pid="$srv" -f /dev/null
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	json_get "$json" "'%.2f' % (d['end']['sum_received']['bits_per_second'] / 1e9)"
}

# wrk_rps CLIENT_NS URL -> requests/s ("-" if none, "*" appended on errors).
wrk_rps() {
	local out=$TMP/wrk.out rps
	timeout $((WSECS + 30)) ip netns exec "$1" wrk -t2 -c50 -d"${WSECS}s" "$2" >"$out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	grep -qE 'Socket errors|Non-2xx' "$out" && rps="${rps:--}*"
	echo "${rps:--}"
}

# nginx_up DIR ADDR CMD...: nginx with DIR's config listening on ADDR:80.
nginx_up() {
	local d=$1 addr=$2
	shift 2
	mkdir -p "$d/www"
	head -c 1024 /dev/urandom >"$d/www/1k.bin"
	nginx_conf "$d" "$addr:80" "$d/www"
	"$@" nginx -p "$d" -e stderr -c "$d/nginx.conf" >"$d/out" 2>"$d/err" &
	JOBS+=($!)
	NGINX_PID=$!
}

ratio() {
	awk -v s="${1%\*}" -v k="${2%\*}" 'BEGIN {
		if (s + 0 > 0 && k + 0 > 0) printf "%.2fx", s / k; else printf "-" }'
}
row() { printf '%-34s %14s %14s %8s\n' "$@"; }

echo "preload_bench: iperf3 ${ISECS} s per direction, wrk ${WSECS} s (2 threads, 50 connections); kernel congestion control: $(ip netns exec "${NS}a" sysctl -n net.ipv4.tcp_congestion_control)$(
	((DRY)) && echo '; DRY: the shim legs run on the kernel')"

k_tx=$(iperf "${NS}a" 10.244.1.1 ip netns exec "${NS}b" iperf3)
k_rx=$(iperf "${NS}a" 10.244.1.1 ip netns exec "${NS}b" iperf3 -R)
flush
s_tx=$(iperf "${NS}k" $KA "${SHIM[@]}" iperf3)
[[ $s_tx == - ]] && tail -n 5 "$TMP/iperf.err" | sed 's/^/  | shim tx: /' >&2
flush
s_rx=$(iperf "${NS}k" $KA "${SHIM[@]}" iperf3 -R)
[[ $s_rx == - ]] && tail -n 5 "$TMP/iperf.err" | sed 's/^/  | shim rx: /' >&2
# The same with Reno as the kernel sender's congestion control instead of
# the system's default (BBR on our machines): shows how much of the receive row is
# the sender's pacing (see docs/preload.md, "Speed").
k_rxr=$(iperf "${NS}a" 10.244.1.1 ip netns exec "${NS}b" iperf3 -R -C reno)
flush
s_rxr=$(iperf "${NS}k" $KA "${SHIM[@]}" iperf3 -R -C reno)

nginx_up "$TMP/kngx" 10.244.1.1 ip netns exec "${NS}a"
k_rps=-
if listening "${NS}a" 80; then
	k_rps=$(wrk_rps "${NS}b" http://10.244.1.1/1k.bin)
fi
kill "$NGINX_PID" 2>/dev/null
wait "$NGINX_PID" 2>/dev/null
flush
nginx_up "$TMP/sngx" $SLA "${SHIM[@]}"
s_rps=-
if reachable "${NS}k" $SLA 80; then
	s_rps=$(wrk_rps "${NS}k" http://$SLA/1k.bin)
else
	tail -n 5 "$TMP/sngx/err" | sed 's/^/  | shim nginx: /' >&2
fi
kill "$NGINX_PID" 2>/dev/null
wait "$NGINX_PID" 2>/dev/null

echo
row "test" "kernel (veth)" "shim (TAP)" "ratio"
row "iperf3 TCP, shim sends (Gbit/s)" "$k_tx" "$s_tx" "$(ratio "$s_tx" "$k_tx")"
row "iperf3 TCP, shim receives (Gbit/s)" "$k_rx" "$s_rx" "$(ratio "$s_rx" "$k_rx")"
row "  same, sender on Reno (Gbit/s)" "$k_rxr" "$s_rxr" "$(ratio "$s_rxr" "$k_rxr")"
row "nginx 1 KiB + wrk (requests/s)" "$k_rps" "$s_rps" "$(ratio "$s_rps" "$k_rps")"
echo "(target: ratio >= 1.00x in each row; * = wrk saw socket errors or non-2xx/3xx answers)"
