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
# Each round runs every leg, the kernel's and the shim's one after the
# other; the table gives each leg's median over the rounds and the ratio of
# the medians (target: shim >= 1.0x kernel in each row), then each round's
# ratios. On a small VM one run moves by 15% or more: three rounds (the
# default) keep one slow spell from deciding a row.
#   usage: sudo bench/preload_bench.sh BUILD_DIR [IPERF_SECONDS [WRK_SECONDS [ROUNDS]]]
#   (5, 10 and 3 by default; needs iperf3, nginx, wrk; about 1.5 min a round)
# SL_PRELOAD_DRY=1 runs the "shim" legs on the kernel over a second veth
# pair (to check this script without the shim; the ratios are then ~1).
# Namespaces made here, removed on exit.
set -u
B=${1:?usage: preload_bench.sh BUILD_DIR [IPERF_SECONDS [WRK_SECONDS [ROUNDS]]]}
ISECS=${2:-5}
WSECS=${3:-10}
ROUNDS=${4:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "preload_bench: ROUNDS must be a positive number" >&2; exit 1; }
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

# median V...: the middle value (the mean of the middle two), ignoring
# "-"; a trailing "*" (wrk errors) on any value marks the result.
median() {
	local star= v vals=()
	for v in "$@"; do
		[[ $v == *\* ]] && star='*'
		v=${v%\*}
		[[ $v == - || -z $v ]] || vals+=("$v")
	done
	((${#vals[@]})) || { echo "-$star"; return; }
	printf '%s\n' "${vals[@]}" | sort -g | awk -v star="$star" '
		{ x[NR] = $1 }
		END {
			m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
			if (m == int(m)) printf "%d%s\n", m, star
			else printf "%.2f%s\n", m, star
		}'
}

echo "preload_bench: ${ROUNDS} round(s) of iperf3 ${ISECS} s per direction and wrk ${WSECS} s (2 threads, 50 connections); kernel congestion control: $(ip netns exec "${NS}a" sysctl -n net.ipv4.tcp_congestion_control)$(
	((DRY)) && echo '; DRY: the shim legs run on the kernel')"

# vs SHIM KERNEL: a round's ratio with both figures (kernel/shim), so that
# a round far off the others shows which leg moved.
vs() {
	echo "$(ratio "$1" "$2") ($2/$1)"
}

K_TX=() S_TX=() K_RX=() S_RX=() K_RXR=() S_RXR=() K_RPS=() S_RPS=()
for ((r = 1; r <= ROUNDS; r++)); do
	K_TX+=("$(iperf "${NS}a" 10.244.1.1 ip netns exec "${NS}b" iperf3)")
	flush
	S_TX+=("$(iperf "${NS}k" $KA "${SHIM[@]}" iperf3)")
	[[ ${S_TX[-1]} == - ]] && tail -n 5 "$TMP/iperf.err" | sed 's/^/  | shim tx: /' >&2
	K_RX+=("$(iperf "${NS}a" 10.244.1.1 ip netns exec "${NS}b" iperf3 -R)")
	flush
	S_RX+=("$(iperf "${NS}k" $KA "${SHIM[@]}" iperf3 -R)")
	[[ ${S_RX[-1]} == - ]] && tail -n 5 "$TMP/iperf.err" | sed 's/^/  | shim rx: /' >&2
	# The same with Reno as the kernel sender's congestion control instead
	# of the system's default (BBR on our machines): shows how much of the
	# receive row is the sender's pacing (see docs/preload.md, "Speed").
	K_RXR+=("$(iperf "${NS}a" 10.244.1.1 ip netns exec "${NS}b" iperf3 -R -C reno)")
	flush
	S_RXR+=("$(iperf "${NS}k" $KA "${SHIM[@]}" iperf3 -R -C reno)")

	nginx_up "$TMP/kngx" 10.244.1.1 ip netns exec "${NS}a"
	rps=-
	if listening "${NS}a" 80; then
		rps=$(wrk_rps "${NS}b" http://10.244.1.1/1k.bin)
	fi
	K_RPS+=("$rps")
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	flush
	nginx_up "$TMP/sngx" $SLA "${SHIM[@]}"
	rps=-
	if reachable "${NS}k" $SLA 80; then
		rps=$(wrk_rps "${NS}k" http://$SLA/1k.bin)
	else
		tail -n 5 "$TMP/sngx/err" | sed 's/^/  | shim nginx: /' >&2
	fi
	S_RPS+=("$rps")
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	echo "round $r: sends $(vs "${S_TX[-1]}" "${K_TX[-1]}"), receives $(vs "${S_RX[-1]}" "${K_RX[-1]}") (Reno $(vs "${S_RXR[-1]}" "${K_RXR[-1]}")), nginx $(vs "${S_RPS[-1]}" "${K_RPS[-1]}")"
done

# leg NAME KERNEL_ARRAY SHIM_ARRAY: the row of medians.
leg() {
	local -n kv=$2 sv=$3
	local k s
	k=$(median "${kv[@]}")
	s=$(median "${sv[@]}")
	row "$1" "$k" "$s" "$(ratio "$s" "$k")"
}

echo
row "test (median of $ROUNDS)" "kernel (veth)" "shim (TAP)" "ratio"
leg "iperf3 TCP, shim sends (Gbit/s)" K_TX S_TX
leg "iperf3 TCP, shim receives (Gbit/s)" K_RX S_RX
leg "  same, sender on Reno (Gbit/s)" K_RXR S_RXR
leg "nginx 1 KiB + wrk (requests/s)" K_RPS S_RPS
echo "(target: ratio >= 1.00x in the iperf3 and nginx rows; the Reno row shows how much the sender's pacing decides; * = wrk saw socket errors or non-2xx/3xx answers)"
