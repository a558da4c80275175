#!/bin/bash
# sockline's TCP against the Linux kernel's over an impaired link (issue 4,
# "Interoperation tests"): for each of
#   2% loss, 10% loss, 25% reordering (delay 1ms reorder 25% 50%),
#   5% duplication, 1% corruption, 40 ms delay with 10 ms jitter
# a bulk transfer each way, sockline's `send` to the kernel's socat and the
# kernel's socat to sockline's `recv`, must arrive with the same SHA-256;
# sockline's capture of each is checked with tshark (no malformed frame,
# no bad checksum from sockline's side), and the impairment must have
# happened. Every IPv4 frame is impaired in both directions.
#
# The impairment is `tc qdisc ... netem` on the kernel side of the TAP
# (its egress and its ingress each redirected by clsact to an ifb whose
# root is netem) when the kernel has sch_netem, with the kernel side's
# TSO/GSO and sockline's offloads off so that netem sees wire-sized
# frames; on kernels without sch_netem (or with SL_NETEM=relay) a
# user-space relay does the same (netem_relay.py: the kernel's TAP in
# namespace K, sockline's TAP in namespace S, frames joined and impaired
# between them; sockline's TSO frames are cut into wire segments there).
# SL_NETEM=tc forces netem.
#
# Only IPv4 frames are impaired; ARP passes untouched. With 10% loss each
# way, three lost ARP broadcasts in a row (0.7% of resolutions) make
# connect() fail with EHOSTUNREACH on Linux as on sockline (both send
# mcast_solicit = 3 probes): address resolution, not what this tests.
#
# Sizes: 64 MiB each way, except 10% loss (16 MiB to sockline, 4 MiB
# from it): with both directions losing 10%, a cubic sender (the
# kernel's or sockline's) moves a few Mbit/s. SL_NETEM_MIB=N sets every
# size to N MiB. Usage: interop_netem_test.sh BUILD_DIR (needs root).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lib_init interop-netem "${1:-}" tc socat python3 tshark ping

lib_netns K k
MiB=1048576
SA=10.242.0.2 KA=10.242.0.1
# No IPv6 chatter (router solicitations, MLD) through the impairment.
nsx "$K" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1

# Which impairment: netem if this kernel has it.
MODE=${SL_NETEM:-}
if [[ -z $MODE ]]; then
	if nsx "$K" tc qdisc add dev lo root netem delay 0ms 2>/dev/null; then
		MODE=tc
		nsx "$K" tc qdisc del dev lo root
	else
		MODE=relay
	fi
fi
echo "# impairment by: $MODE"

if [[ $MODE == relay ]]; then
	lib_netns S s
	nsx "$S" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	# sockline's TAP, in S; the relay's packet socket sits on its kernel side.
	nsx "$S" ip tuntap add dev sln0 mode tap
	nsx "$S" ip link set sln0 up
	OFFLOAD=()
	KDEV=slk0
else
	S=$K
	command -v ethtool >/dev/null || { echo "interop-netem: ethtool is missing" >&2; exit 1; }
	nsx "$K" ip tuntap add dev sln0 mode tap
	nsx "$K" ip addr add $KA/24 dev sln0
	nsx "$K" ip link set sln0 up
	# netem must see the frames the wire carries, not 64 KiB GSO skbs.
	nsx "$K" ethtool -K sln0 tso off gso off >/dev/null 2>&1
	OFFLOAD=(--offload off)
	KDEV=sln0
	# What sockline sends enters sln0 (ingress), what the kernel sends
	# leaves it (egress); clsact redirects the IPv4 frames of each through
	# an ifb whose root qdisc is that direction's netem.
	nsx "$K" tc qdisc add dev sln0 clsact
	for i in in out; do
		nsx "$K" ip link add slnifb$i type ifb
		nsx "$K" ip link set slnifb$i up
		[[ $i == in ]] && hook=ingress || hook=egress
		nsx "$K" tc filter add dev sln0 $hook protocol ip u32 match u32 0 0 \
			action mirred egress redirect dev slnifb$i
	done
fi
IFBS=(slnifbin slnifbout)
C=(--dev tap:sln0 --addr $SA/24 "${OFFLOAD[@]}")

RELAY=
# impair_start RELAY_ARGS NETEM_ARGS: impair both directions from now on.
impair_start() {
	local i
	if [[ $MODE == tc ]]; then
		for i in "${IFBS[@]}"; do
			nsx "$K" tc qdisc replace dev $i root netem limit 100000 $2 || return 1
		done
		return 0
	fi
	# The last relay's TAP must be gone from K, and its ready line must
	# not be taken for this one's.
	for ((i = 0; i < 50; i++)); do
		nsx "$K" ip link show slk0 >/dev/null 2>&1 || break
		sleep 0.1
	done
	rm -f "$TMP/relay.out"
	ip netns exec "$S" python3 "$HERE/netem_relay.py" --tap slk0 --packet sln0 \
		--seed $((RANDOM)) --ip-only --stats "$TMP/relay.stats" $1 >"$TMP/relay.out" 2>&1 &
	RELAY=$!
	PIDS+=($RELAY)
	if wait_for "$TMP/relay.out" "^relay: ready" &&
	   nsx "$S" ip link set slk0 netns "$K" &&
	   nsx "$K" ip addr add $KA/24 dev slk0 &&
	   nsx "$K" ip link set slk0 up; then
		return 0
	fi
	cat "$TMP/relay.out"
	impair_stop
	return 1
}

# impair_stop: back to a clean link; the relay's counters in $TMP/relay.stats
# ("DIRECTION frames=.. sent=.. lost=.. duplicated=.. corrupted=.. reordered=..").
impair_stop() {
	local i
	if [[ $MODE == tc ]]; then
		for i in "${IFBS[@]}"; do
			nsx "$K" tc -s qdisc show dev $i >>"$TMP/tc.stats"
			nsx "$K" tc qdisc del dev $i root 2>/dev/null
		done
		return 0
	fi
	kill -TERM $RELAY 2>/dev/null
	wait $RELAY
}

# relay_min FIELD: the smaller of the two directions' FIELD (relay mode).
relay_min() {
	awk -v f="$1" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) v = kv[2] + 0 }
		if (NR == 1 || v < m) m = v } END { print m + 0 }' "$TMP/relay.stats"
}

# to_kernel NAME BYTES TIMEOUT: sockline send -> the kernel's socat.
to_kernel() {
	local name=$1 bytes=$2 to=$3 rx rc t0=$(now_ns) secs
	head -c "$bytes" "$TMP/big.bin" >"$TMP/part.bin"
	ip netns exec "$K" timeout $((to + 10)) socat -u \
		TCP-LISTEN:5001,bind=$KA,reuseaddr OPEN:"$TMP/got.bin",creat,trunc &
	rx=$!
	PIDS+=($rx)
	wait_port "$K" 5001 || fail "$name: socat did not listen"
	nsx "$S" timeout "$to" "$SL" send "${C[@]}" --pcap "$TMP/send.pcap" \
		$KA:5001 <"$TMP/part.bin" 2>"$TMP/send.err"
	rc=$?
	wait_exit $rx 15
	secs=$(awk -v ns=$(($(now_ns) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
	TIMES+=("$name sockline->kernel: ${secs} s")
	check "$name: sockline send $((bytes / MiB)) MiB -> kernel socat, SHA-256 equal ($secs s, status $rc; $(tail -1 "$TMP/send.err" | sed 's/^sockline send: //'))" \
		ok_sha $rc "$TMP/part.bin" "$TMP/got.bin"
	pcap_check "$name: send's capture" "$TMP/send.pcap" $SA
	rm -f "$TMP/got.bin" "$TMP/send.pcap"*
}

# to_sockline NAME BYTES TIMEOUT: the kernel's socat -> sockline recv.
# Leaves recv's capture in $TMP/recv.pcap.
to_sockline() {
	local name=$1 bytes=$2 to=$3 rcv rc t0=$(now_ns) secs rtt
	head -c "$bytes" "$TMP/big.bin" >"$TMP/part.bin"
	rm -f "$TMP/recv.err"
	# A new sockline process, a new hardware address: the kernel must not
	# use the previous one's.
	nsx "$K" ip neigh flush dev $KDEV
	ip netns exec "$S" timeout "$to" "$SL" recv "${C[@]}" --pcap "$TMP/recv.pcap" \
		-o "$TMP/got.bin" 0.0.0.0:5002 2>"$TMP/recv.err" &
	rcv=$!
	PIDS+=($rcv)
	if ! wait_for "$TMP/recv.err" "listening on"; then
		fail "$name: sockline recv did not listen: $(cat "$TMP/recv.err")"
		return
	fi
	# The link's round trip while the stack is up: ~80 ms with 40 ms of
	# delay each way.
	if [[ -n ${RTT_MIN:-} ]]; then
		rtt=$(nsx "$K" ping -c 5 -i 0.2 -W 2 $SA | awk -F/ '/^rtt/ { print int($5) }')
		check "$name: kernel ping round trip ${rtt:-?} ms >= $RTT_MIN ms" \
			test "${rtt:-0}" -ge "$RTT_MIN"
	fi
	nsx "$K" timeout "$to" socat -u OPEN:"$TMP/part.bin" TCP:$SA:5002
	wait_exit $rcv 30
	rc=$?
	secs=$(awk -v ns=$(($(now_ns) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
	TIMES+=("$name kernel->sockline: ${secs} s")
	check "$name: kernel socat $((bytes / MiB)) MiB -> sockline recv, SHA-256 equal ($secs s, status $rc; $(tail -1 "$TMP/recv.err" | tr '\r' '\n' | tail -1 | sed 's/^sockline recv: //'))" \
		ok_sha $rc "$TMP/part.bin" "$TMP/got.bin"
	pcap_check "$name: recv's capture" "$TMP/recv.pcap" $SA
	rm -f "$TMP/got.bin"
}

head -c $((64 * MiB)) /dev/urandom >"$TMP/big.bin"
TIMES=()

# The cases: NAME | netem's words | the relay's options | MiB to sockline |
# MiB from sockline | seconds allowed per transfer.
CASES=(
	"2% loss|loss 2%|--loss 2|64|64|150"
	"10% loss|loss 10%|--loss 10|16|4|240"
	"25% reordering|delay 1ms reorder 25% 50%|--delay 1 --reorder 25 --reorder-corr 50|64|64|150"
	"5% duplication|duplicate 5%|--dup 5|64|64|150"
	"1% corruption|corrupt 1%|--corrupt 1|64|64|150"
	"40 ms delay, 10 ms jitter|delay 40ms 10ms|--delay 40 --jitter 10|64|64|150"
)
for c in "${CASES[@]}"; do
	IFS='|' read -r name netem relay mib_in mib_out to <<<"$c"
	if [[ -n ${SL_NETEM_MIB:-} ]]; then
		mib_in=$SL_NETEM_MIB mib_out=$SL_NETEM_MIB
	fi
	T0=$SECONDS
	rm -f "$TMP/relay.stats" "$TMP/tc.stats"
	if ! impair_start "$relay" "$netem"; then
		fail "$name: cannot set the impairment up"
		continue
	fi
	RTT_MIN=
	[[ $name == 40* ]] && RTT_MIN=60
	to_sockline "$name" $((mib_in * MiB)) "$to"
	to_kernel "$name" $((mib_out * MiB)) "$to"
	impair_stop
	# The impairment happened.
	if [[ $MODE == relay ]]; then
		case $name in
		*loss) what=lost ;;
		*reordering) what=reordered ;;
		*duplication) what=duplicated ;;
		*corruption) what=corrupted ;;
		*) what=frames ;;
		esac
		check "$name: both directions impaired, the relay's counters: $(tr '\n' ';' <"$TMP/relay.stats")" \
			test "$(relay_min $what)" -gt 0
	else
		check "$name: netem was on both directions ($(grep -c "qdisc netem" "$TMP/tc.stats") qdiscs)" \
			test "$(grep -c "qdisc netem .*${netem%% *}" "$TMP/tc.stats")" = 2
	fi
	if [[ $name == *corruption ]]; then
		pcap_scan "$TMP/recv.pcap" $KA
		check "$name: corrupted frames reached sockline ($PCAP_BAD of $PCAP_FRAMES from the kernel with a bad checksum), the bytes are right all the same" \
			test "$PCAP_BAD" -gt 0
	fi
	rm -f "$TMP/recv.pcap"*
	echo "# $name: $((SECONDS - T0)) s"
done

echo "# times (impairment by $MODE):"
printf '#   %s\n' "${TIMES[@]}"
lib_finish
