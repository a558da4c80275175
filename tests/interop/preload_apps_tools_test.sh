#!/bin/bash
# Unmodified network tools on sockline (LD_PRELOAD, `sockline run`), the
# kernel's stack on the other side of a TAP (issue 5's acceptance tests):
#   1. nc (netcat-openbsd) on sockline as the client, then as the server,
#      16 MiB each way at once in both roles (SHA-256);
#   2. socat on sockline as the TCP client and as the TCP server (16 MiB
#      echoed, SHA-256), then as UDP client and server (a 3000-byte
#      datagram echoed: fragments both ways);
#   3. iperf3 on sockline as the server, then as the client, TCP and UDP,
#      10 s each: the JSON report has bytes and a rate above 0, no error.
# Usage: preload_apps_tools_test.sh BUILD_DIR (root). SL_PRELOAD_DRY=1: the
# tests' logic without the shim (see preload_lib.sh). SL_IPERF_SECS: the
# length of each iperf3 test (10).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/preload_lib.sh"

pl_init preload_apps_tools "${1:-}" 10.245.0 nc socat iperf3 /usr/bin/python3
SECS=${SL_IPERF_SECS:-10}

mkfile "$TMP/a.bin" 16
mkfile "$TMP/b.bin" 16
head -c 3000 /dev/urandom >"$TMP/dgram.bin"

# --- 1. nc --------------------------------------------------------------------
# Each side sends its file. nc -l returns as soon as its peer's data has
# ended, even with its own stdin not all sent: so only the listener shuts
# down its writing half at the end (-N), and the connecting nc, its input
# sent, keeps reading until that FIN and then closes (its FIN ends the
# listener, which has sent everything by then).
ip netns exec "$KNS" nc -n -l -N "$KA" 5000 <"$TMP/a.bin" >"$TMP/nc1.k" 2>"$TMP/knc.err" &
KNC=$!
PIDS+=("$KNC")
wait_port "$KNS" 5000
mark
sl_run 60 "$TMP/nc1.err" nc -n "$KA" 5000 <"$TMP/b.bin" >"$TMP/nc1.s"
rc=$?
wait_exit "$KNC" 10
link_delta
check_log "nc on sockline, client: 16 MiB received, SHA-256 equal (status $rc)" \
	"$TMP/nc1.err" -- over_link $((32 << 20)) ok_sha $rc "$TMP/nc1.s" "$TMP/a.bin"
check_log "nc on sockline, client: 16 MiB sent, SHA-256 equal" \
	"$TMP/nc1.err" "$TMP/knc.err" -- same_sha "$TMP/nc1.k" "$TMP/b.bin"

pl_cmd nc -n -v -l -N 5001
"${PL_CMD[@]}" <"$TMP/a.bin" >"$TMP/nc2.s" 2>"$TMP/nc2.err" &
SNC=$!
PIDS+=("$SNC")
if wait_for "$TMP/nc2.err" "^Listening on " 15; then
	k_run 60 nc -n "$SLA" 5001 <"$TMP/b.bin" >"$TMP/nc2.k" 2>"$TMP/knc2.err"
	rc=$?
	wait_exit "$SNC" 10
	src=$?
	check_log "nc on sockline, server: 16 MiB sent, SHA-256 equal (status $rc)" \
		"$TMP/nc2.err" "$TMP/knc2.err" -- ok_sha $rc "$TMP/nc2.k" "$TMP/a.bin"
	check_log "nc on sockline, server: 16 MiB received, SHA-256 equal (status $src)" \
		"$TMP/nc2.err" -- ok_sha $src "$TMP/nc2.s" "$TMP/b.bin"
else
	fail "nc on sockline, server: not listening"
	tail_log "$TMP/nc2.err"
	stop "$SNC"
fi

# --- 2. socat -----------------------------------------------------------------
# The echo servers are socat's PIPE address with -b 4096: a write to a pipe
# that select() calls writable may block above PIPE_BUF, and the process
# that would drain the pipe is the one blocked writing it.
k_bg KSO "$TMP/kso" socat -b 4096 TCP-LISTEN:5002,bind="$KA",reuseaddr PIPE
wait_port "$KNS" 5002
mark
sl_run 60 "$TMP/so1.err" socat -t 5 - TCP:"$KA":5002 <"$TMP/a.bin" >"$TMP/so1.out"
rc=$?
link_delta
check_log "socat on sockline, TCP client: 16 MiB echoed by the kernel, SHA-256 equal (status $rc)" \
	"$TMP/so1.err" "$TMP/kso.err" -- over_link $((32 << 20)) ok_sha $rc "$TMP/so1.out" "$TMP/a.bin"
stop "$KSO" >/dev/null

sl_bg SSO "$TMP/sso" socat -d -d -b 4096 TCP-LISTEN:5003,reuseaddr PIPE
if wait_for "$TMP/sso.err" "listening on" 15; then
	k_run 60 socat -t 5 - TCP:"$SLA":5003 <"$TMP/b.bin" >"$TMP/so2.out" 2>"$TMP/kso2.err"
	rc=$?
	wait_exit "$SSO" 10
	src=$?
	check_log "socat on sockline, TCP server: 16 MiB echoed to the kernel, SHA-256 equal (status $rc)" \
		"$TMP/sso.err" "$TMP/kso2.err" -- ok_sha $rc "$TMP/so2.out" "$TMP/b.bin"
	check_log "socat on sockline, TCP server: exit 0 ($src)" "$TMP/sso.err" -- test "$src" = 0
else
	fail "socat on sockline, TCP server: not listening"
	tail_log "$TMP/sso.err"
	stop "$SSO"
fi

k_bg KSU "$TMP/ksu" socat UDP-LISTEN:5004,bind="$KA",reuseaddr PIPE
wait_port "$KNS" 5004 udp
mark
sl_run 30 "$TMP/su1.err" socat -t 2 -b 65536 - UDP:"$KA":5004 <"$TMP/dgram.bin" >"$TMP/su1.out"
rc=$?
link_delta
check_log "socat on sockline, UDP client: 3000-byte datagram echoed by the kernel (status $rc)" \
	"$TMP/su1.err" "$TMP/ksu.err" -- over_link 6000 ok_sha $rc "$TMP/su1.out" "$TMP/dgram.bin"
stop "$KSU" >/dev/null

sl_bg SSU "$TMP/ssu" socat -d -d -b 65536 UDP-LISTEN:5005,reuseaddr PIPE
if wait_for "$TMP/ssu.err" "listening on" 15; then
	k_run 30 socat -t 2 -b 65536 - UDP:"$SLA":5005 <"$TMP/dgram.bin" >"$TMP/su2.out" 2>"$TMP/ksu2.err"
	rc=$?
	check_log "socat on sockline, UDP server: 3000-byte datagram echoed to the kernel (status $rc)" \
		"$TMP/ssu.err" "$TMP/ksu2.err" -- ok_sha $rc "$TMP/su2.out" "$TMP/dgram.bin"
else
	fail "socat on sockline, UDP server: not listening"
	tail_log "$TMP/ssu.err"
fi
stop "$SSU" >/dev/null

# --- 3. iperf3 ----------------------------------------------------------------
# iperf_ok NAME JSON LOGS...: the report of a finished test: bytes and rate
# above 0 on both ends, no error.
iperf_ok() {
	local name=$1 json=$2 sum bps err
	shift 2
	sum=sum_received
	err=$(json_get "$json" 'd.get("error", "")')
	bps=$(json_get "$json" "int(d['end']['$sum']['bits_per_second'])")
	if [[ -z $err && $bps =~ ^[0-9]+$ ]] && ((bps > 0)) &&
		[[ $(json_get "$json" "d['end']['sum_sent']['bytes'] > 0 and d['end']['$sum']['bytes'] > 0") == True ]]; then
		ok "$name: $(awk -v b="$bps" 'BEGIN { printf "%.0f Mbit/s", b / 1e6 }')$(
			[[ $json == *udp* ]] && echo ", $(json_get "$json" "round(d['end']['sum']['lost_percent'], 2)")% lost")"
	else
		fail "$name: ${err:-no result}"
		tail_log "$json" "$@"
	fi
}

for proto in tcp udp; do
	opt=()
	[[ $proto == udp ]] && opt=(-u -b 200M)
	sl_bg SIP "$TMP/sip-$proto" iperf3 -s -1 -p 5201 --forceflush
	if wait_for "$TMP/sip-$proto.out" "^Server listening on 5201" 15; then
		k_run $((SECS + 30)) iperf3 -c "$SLA" -p 5201 -t "$SECS" "${opt[@]}" -J \
			>"$TMP/kip-$proto.json" 2>"$TMP/kip-$proto.err"
		wait_exit "$SIP" 10
		src=$?
		iperf_ok "iperf3 on sockline, server, ${proto^^} ${SECS} s" "$TMP/kip-$proto.json" \
			"$TMP/sip-$proto.out" "$TMP/sip-$proto.err"
		check_log "iperf3 on sockline, server, ${proto^^}: exit 0 ($src)" \
			"$TMP/sip-$proto.out" "$TMP/sip-$proto.err" -- test "$src" = 0
	else
		fail "iperf3 on sockline, server, ${proto^^}: not listening"
		tail_log "$TMP/sip-$proto.out" "$TMP/sip-$proto.err"
		stop "$SIP"
	fi

	k_bg KIP "$TMP/kips-$proto" iperf3 -s -1 -p 5202 -B "$KA"
	wait_port "$KNS" 5202
	mark
	sl_run $((SECS + 30)) "$TMP/cip-$proto.err" iperf3 -c "$KA" -p 5202 -t "$SECS" \
		"${opt[@]}" -J >"$TMP/cip-$proto.json"
	rc=$?
	wait_exit "$KIP" 10 >/dev/null
	link_delta
	over_link $((1 << 20)) true || fail "iperf3 on sockline, client, ${proto^^}: not through the link"
	iperf_ok "iperf3 on sockline, client, ${proto^^} ${SECS} s (status $rc)" \
		"$TMP/cip-$proto.json" "$TMP/cip-$proto.err" "$TMP/kips-$proto.out"
done

lib_finish
