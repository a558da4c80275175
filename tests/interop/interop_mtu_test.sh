#!/bin/bash
# MSS and path MTU between sockline and the Linux kernel (issue 4,
# "Interoperation tests"):
#   1. MSS: the kernel's side of the link has MTU 1280 (sockline's 1500),
#      so the kernel announces MSS 1240; the segments sockline sends, as a
#      server (kernel curl from `sockline serve` on a TAP) and as a client
#      (`sockline send` to socat, over a veth pair), carry at most 1240 bytes (1228 of data with the
#      12 bytes of timestamps, when full).
#   2. Path MTU discovery (RFC 1191) through a router: three namespaces,
#        K (kernel host) --veth-- R (router, ip_forward=1; its link to K
#        has MTU 1280) --veth-- S (a bridge joining it to sockline's TAP,
#        MTU 1500)
#      sockline sends 64 MiB to K with DF set; R answers the 1500-byte
#      packets with ICMP fragmentation-needed (MTU 1280); sockline lowers its
#      segments to 1240 bytes and the transfer completes (SHA-256). Then
#      the kernel downloads from `sockline serve` the same way while
#      `sockline ss -i` shows the connection's pmtu and mss.
# Captures are checked with tshark. Usage: interop_mtu_test.sh BUILD_DIR
# (needs root).
set -u
. "$(dirname "$0")/lib.sh"
lib_init interop-mtu "${1:-}" socat curl tshark ping

MiB=1048576
mkdir -p "$TMP/www"
head -c $((64 * MiB)) /dev/urandom >"$TMP/www/big.bin"
head -c $((16 * MiB)) "$TMP/www/big.bin" >"$TMP/www/mid.bin"

# mss_of FILE SRC: the MSS option of SRC's SYN or SYN-ACK in FILE.
mss_of() {
	tshark_fields "$1" "ip.src#1 == $2 && tcp.flags.syn == 1" tcp.options.mss_val | head -1
}
# full_mss: the largest payload pcap_scan saw fits MSS 1240 and fills it
# (less the options, 12 bytes of timestamps).
full_mss() { ((PCAP_MAXTCP <= 1240 && PCAP_MAXTCP >= 1200)); }

# --- 1. a kernel peer with MTU 1280 --------------------------------------------
lib_netns M mss
SA=10.243.0.2 KA=10.243.0.1
start_serve "$M" SERVE "$TMP/serve" --dev tap:slm0 --addr $SA/24 --mtu 1500 \
	--http "$TMP/www" --pcap "$TMP/serve.pcap" || exit 1
nsx "$M" ip link set slm0 mtu 1280
nsx "$M" ip addr add $KA/24 dev slm0
nsx "$M" ip link set slm0 up
nsx "$M" timeout 60 curl -sS -o "$TMP/got.bin" http://$SA/mid.bin
check "MTU 1280 kernel: curl GET 16 MiB from sockline, SHA-256 equal" \
	same_sha "$TMP/www/mid.bin" "$TMP/got.bin"
stop_serve "$SERVE"
mss=$(mss_of "$TMP/serve.pcap" $KA)
check "the kernel's SYN announced MSS $mss" test "$mss" = 1240
pcap_check "serve's capture" "$TMP/serve.pcap" $SA
check "sockline's segments to it fit MSS 1240 (largest payload $PCAP_MAXTCP)" full_mss
rm -f "$TMP/serve.pcap"* "$TMP/got.bin"

# As a client: a TAP has one MTU for both of its ends (sockline's --mtu
# sets the kernel side's too), so here the link is a veth pair, the kernel
# on slm1 with MTU 1280 and sockline on packet:slm2 with MTU 1500.
KA=10.243.1.1 SA=10.243.1.2
nsx "$M" ip link add slm1 type veth peer name slm2
nsx "$M" ip link set slm1 mtu 1280
nsx "$M" ip addr add $KA/24 dev slm1
nsx "$M" ip link set slm1 up
nsx "$M" ip link set slm2 up
ip netns exec "$M" timeout 60 socat -u TCP-LISTEN:5001,bind=$KA,reuseaddr \
	OPEN:"$TMP/got.bin",creat,trunc &
RX=$!
PIDS+=($RX)
wait_port "$M" 5001
nsx "$M" timeout 60 "$SL" send --dev packet:slm2 --addr $SA/24 -q \
	--pcap "$TMP/send.pcap" $KA:5001 <"$TMP/www/mid.bin"
rc=$?
wait_exit $RX 15
check "MTU 1280 kernel: sockline send 16 MiB to socat, SHA-256 equal (status $rc)" \
	ok_sha $rc "$TMP/www/mid.bin" "$TMP/got.bin"
mss=$(mss_of "$TMP/send.pcap" $KA)
check "the kernel's SYN-ACK announced MSS $mss" test "$mss" = 1240
mss=$(mss_of "$TMP/send.pcap" $SA)
check "sockline's SYN announced MSS $mss (its own MTU 1500)" test "$mss" = 1460
pcap_check "send's capture" "$TMP/send.pcap" $SA
check "sockline's segments fit MSS 1240 (largest payload $PCAP_MAXTCP)" full_mss
rm -f "$TMP/send.pcap"* "$TMP/got.bin"

# --- 2. path MTU discovery through a router -----------------------------------
lib_netns K host
lib_netns R router
lib_netns S sl
KA=10.244.2.2 RK=10.244.2.1 RS=10.244.1.1 SA=10.244.1.2
nsx "$K" ip link add kr0 type veth peer name rk0 netns "$R"
nsx "$K" ip addr add $KA/24 dev kr0
nsx "$K" ip link set kr0 up
nsx "$K" ip route add 10.244.1.0/24 via $RK
nsx "$R" sysctl -qw net.ipv4.ip_forward=1
nsx "$R" ip link set rk0 mtu 1280
nsx "$R" ip addr add $RK/24 dev rk0
nsx "$R" ip link set rk0 up
nsx "$R" ip link add rs0 type veth peer name sr0 netns "$S"
nsx "$R" ip addr add $RS/24 dev rs0
nsx "$R" ip link set rs0 up
# S: sockline's TAP and the link to R in one bridge; S's kernel has no
# address, it only carries frames.
nsx "$S" ip link add br0 type bridge
nsx "$S" ip tuntap add dev slp0 mode tap
nsx "$S" ip link set slp0 master br0
nsx "$S" ip link set sr0 master br0
for i in slp0 sr0 br0; do
	nsx "$S" ip link set $i up
done
P=(--dev tap:slp0 --addr $SA/24 --gw $RS)

check "sockline pings the kernel host through the router" \
	quiet nsx "$S" timeout 20 "$SL" ping "${P[@]}" -c 2 -i 0.2 -W 2 $KA

# pmtu_check NAME FILE: in FILE, R's fragmentation-needed (MTU 1280)
# reached sockline; sockline's segments were full-sized for MTU 1500
# before the first (1448 bytes of data), and after the last they fit MTU
# 1280 (1228: 1280 less 40 of headers, 12 of timestamps). Between the two,
# segments already queued may still leave at the old size.
pmtu_check() {
	local name=$1 file=$2 icmps first last before after
	icmps=$(tshark_fields "$file" "ip.src#1 == $RS && icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1280" \
		frame.number)
	first=$(head -1 <<<"$icmps") last=$(tail -1 <<<"$icmps")
	check "$name: the router's ICMP fragmentation needed (MTU 1280) reached sockline ($(grep -c . <<<"$icmps"), frames ${first:-none}..${last:-none})" \
		test -n "$first"
	[[ -n $first ]] || return
	before=$(tshark_fields "$file" "ip.src#1 == $SA && frame.number < $first" tcp.len |
		sort -n | tail -1)
	after=$(tshark_fields "$file" "ip.src#1 == $SA && frame.number > $last" tcp.len |
		sort -n | tail -1)
	check "$name: sockline's segments carried $before bytes of data before, $after after" \
		test "${before:-0}" = 1448 -a "${after:-0}" = 1228
}

ip netns exec "$K" timeout 120 socat -u TCP-LISTEN:5001,bind=$KA,reuseaddr \
	OPEN:"$TMP/got.bin",creat,trunc &
RX=$!
PIDS+=($RX)
wait_port "$K" 5001
T0=$SECONDS
nsx "$S" timeout 120 "$SL" send "${P[@]}" --pcap "$TMP/pmtu.pcap" $KA:5001 \
	<"$TMP/www/big.bin" 2>"$TMP/send.err"
rc=$?
wait_exit $RX 15
check "sockline send 64 MiB through the router, SHA-256 equal ($(elapsed), status $rc; $(tail -1 "$TMP/send.err"))" \
	ok_sha $rc "$TMP/www/big.bin" "$TMP/got.bin"
pcap_check "send's capture" "$TMP/pmtu.pcap" $SA
pmtu_check "send" "$TMP/pmtu.pcap"
df=$(tshark_fields "$TMP/pmtu.pcap" "ip.src#1 == $SA && tcp && ip.flags.df#1 == 0" frame.number | wc -l)
check "every TCP segment of sockline's had DF set ($df without)" test "$df" = 0
rm -f "$TMP/pmtu.pcap"* "$TMP/got.bin"

# The kernel downloads from `sockline serve` through the router, slowly
# enough (curl --limit-rate) that `sockline ss -i` sees the connection.
# The router must forget the hardware address of the last sockline process.
nsx "$R" ip neigh flush dev rs0
start_serve "$S" SERVE "$TMP/serve2" "${P[@]}" --http "$TMP/www" \
	--pcap "$TMP/serve2.pcap" || exit 1
ip netns exec "$K" timeout 60 curl -sS --limit-rate 8M -o "$TMP/got.bin" \
	http://$SA/mid.bin &
CURL=$!
PIDS+=($CURL)
for ((i = 0; i < 20; i++)); do
	sleep 0.2
	"$SL" ss -i -S --pid "$SERVE" >"$TMP/ss.out" 2>&1
	grep -qE ' mss:1228 .*pmtu:1280 ' "$TMP/ss.out" && break
done
wait $CURL
check "kernel curl 16 MiB from sockline through the router, SHA-256 equal" \
	same_sha "$TMP/www/mid.bin" "$TMP/got.bin"
check "ss -i: the connection's pmtu:1280 and mss:1228 ($(grep -oE 'ESTAB|pmtu:[0-9]+| mss:[0-9]+' "$TMP/ss.out" | tr '\n' ' '))" \
	grep -qE ' mss:1228 .*pmtu:1280 ' "$TMP/ss.out"
"$SL" ss -s --pid "$SERVE" >"$TMP/counters.out" 2>&1
n=$(snmp_value "$TMP/counters.out" Icmp InDestUnreachs)
check "serve's counters: Icmp InDestUnreachs $n" test "${n:-0}" -ge 1
stop_serve "$SERVE"
pcap_check "serve's capture" "$TMP/serve2.pcap" $SA
pmtu_check "serve" "$TMP/serve2.pcap"

lib_finish
