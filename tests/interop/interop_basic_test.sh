#!/bin/bash
# sockline against the Linux kernel's own stack over TAP, in a network
# namespace of its own (issue 4, "Interoperation tests"):
#   1. `sockline serve` on tap:slb0: ARP and ping from the kernel (also
#      4000-byte pings, fragmented both ways), UDP echo with socat up to
#      60,000-byte datagrams (fragments both ways), 64 MiB over TCP from
#      the kernel's curl (HTTP) and socat (echo, discard), 1,000 concurrent
#      kernel connections, and a tshark check of serve's capture.
#   2. sockline's clients on tap:slb1 against kernel servers: ARP and ping
#      (also -s 4000), `get` of 64 MiB from python3's http.server, `send`
#      and `recv` of 64 MiB with socat, each capture checked with tshark.
# Every transfer is checked with SHA-256. Usage: interop_basic_test.sh
# BUILD_DIR (ctest passes it; needs root).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lib_init interop-basic "${1:-}" ping socat curl python3 tshark

lib_netns NS
MiB=1048576
BIG=$((64 * MiB))
mkdir -p "$TMP/www"
head -c $BIG /dev/urandom >"$TMP/www/big.bin"
echo "hello from sockline" >"$TMP/www/index.html"

# --- 1. the kernel against `sockline serve` ----------------------------------
SA=10.241.0.2 KA=10.241.0.1
start_serve "$NS" SERVE "$TMP/serve" --dev tap:slb0 --addr $SA/24 \
	--echo --discard --http "$TMP/www" --pcap "$TMP/serve.pcap" || exit 1
nsx "$NS" ip addr add $KA/24 dev slb0
nsx "$NS" ip link set slb0 up

# ARP: the kernel resolves sockline's address; the entry it makes must be
# the hardware address sockline answered with (seen in serve's capture).
check "kernel pings sockline (ARP first)" \
	quiet nsx "$NS" ping -c 3 -i 0.2 -W 2 $SA
kmac=$(nsx "$NS" ip neigh show $SA dev slb0 | awk '/lladdr/ { print $3 }')
tapmac=$(nsx "$NS" cat /sys/class/net/slb0/address)
check "kernel ARP entry for sockline ($kmac), not the TAP's own ($tapmac)" \
	test -n "$kmac" -a "$kmac" != "$tapmac"
check "kernel pings sockline with 4000 bytes (fragments both ways)" \
	quiet nsx "$NS" ping -c 3 -i 0.2 -W 2 -s 4000 $SA

out=$(printf 'hello udp\n' | nsx "$NS" timeout 10 socat -t 1 - UDP:$SA:7)
check "UDP echo: a datagram" test "$out" = "hello udp"
for n in 1472 1473 3000 8000 30000 60000; do
	head -c $n /dev/urandom >"$TMP/dgram.bin"
	nsx "$NS" timeout 10 socat -t 1 -b 65536 - UDP:$SA:7 \
		<"$TMP/dgram.bin" >"$TMP/dgram.out"
	check "UDP echo: $n bytes from the kernel, back from sockline" \
		same "$TMP/dgram.bin" "$TMP/dgram.out"
done
check "UDP discard: 60000 bytes" \
	nsx "$NS" timeout 10 socat -u OPEN:"$TMP/dgram.bin" UDP:$SA:9
# sockline's own counters: 8 datagrams in (the discarded one too), 7 out;
# 9 datagrams reassembled (3 pings, 6 UDP), fragments made for the replies.
sleep 0.2
"$SL" ss -s --pid "$SERVE" >"$TMP/counters.out" 2>&1
udp_in=$(snmp_value "$TMP/counters.out" Udp InDatagrams)
udp_out=$(snmp_value "$TMP/counters.out" Udp OutDatagrams)
reasm=$(snmp_value "$TMP/counters.out" Ip ReasmOKs)
frags=$(snmp_value "$TMP/counters.out" Ip FragCreates)
check "serve's counters: Udp InDatagrams $udp_in, OutDatagrams $udp_out; Ip ReasmOKs $reasm, FragCreates $frags" \
	test "${udp_in:-0}" -ge 8 -a "${udp_out:-0}" -ge 7 -a "${reasm:-0}" -ge 9 \
	-a "${frags:-0}" -ge 9

T0=$(now_ns)
nsx "$NS" timeout 120 curl -sS -o "$TMP/got.bin" http://$SA/big.bin
check "kernel curl GET 64 MiB from sockline's HTTP server, SHA-256 equal ($(mbps $BIG $(($(now_ns) - T0))))" \
	same_sha "$TMP/www/big.bin" "$TMP/got.bin"
rm -f "$TMP/got.bin"
T0=$(now_ns)
nsx "$NS" timeout 120 socat -t 20 - TCP:$SA:7 <"$TMP/www/big.bin" >"$TMP/echo.bin"
check "kernel socat: 64 MiB through sockline's TCP echo, SHA-256 equal ($(mbps $((2 * BIG)) $(($(now_ns) - T0))) both ways)" \
	same_sha "$TMP/www/big.bin" "$TMP/echo.bin"
rm -f "$TMP/echo.bin"
T0=$(now_ns)
nsx "$NS" timeout 120 socat -u OPEN:"$TMP/www/big.bin" TCP:$SA:9
rc=$?
check "kernel socat: 64 MiB to sockline's TCP discard (status $rc, $(mbps $BIG $(($(now_ns) - T0))))" \
	test $rc = 0

# 1,000 concurrent kernel connections to the echo server, all answered.
ulimit -n 4096
good=$(nsx "$NS" timeout 90 python3 "$HERE/many_echo.py" $SA 1000 60)
check "1000 concurrent kernel connections, all echoed (${good:-0})" test "${good:-0}" = 1000

stop_serve "$SERVE"
rc=$?
check "serve stops on SIGTERM (status $rc)" test $rc = 0
pcap_check "serve's capture" "$TMP/serve.pcap" $SA
# The rest looks at ARP, ICMP and UDP only: take them out once.
tshark_opts
tshark -r "$TMP/serve.pcap" "${TSHARK_OPTS[@]}" \
	-Y "arp || icmp || udp || ip.flags.mf == 1 || ip.frag_offset > 0" \
	-w "$TMP/small.pcap" 2>/dev/null
smac=$(tshark_fields "$TMP/small.pcap" "arp.opcode == 2 && arp.src.proto_ipv4 == $SA" \
	arp.src.hw_mac | head -1)
check "sockline answered the kernel's ARP request with $smac" \
	test -n "$smac" -a "$smac" = "$kmac"
# first_frags PROTO: datagrams of IP protocol PROTO sockline fragmented.
first_frags() {
	tshark_fields "$TMP/small.pcap" "ip.src#1 == $SA && ip.proto == $1 && ip.flags.mf == 1 && ip.frag_offset == 0" \
		frame.number | wc -l
}
n=$(first_frags 1)
check "sockline fragmented its 4000-byte echo replies ($n)" test "$n" -ge 3
n=$(first_frags 17)
check "sockline fragmented its UDP replies over 1472 bytes ($n)" test "$n" -ge 5
rm -f "$TMP/serve.pcap"*

# --- 2. sockline's clients against kernel servers -----------------------------
SA=10.241.1.2 KA=10.241.1.1
C=(--dev tap:slb1 --addr $SA/24)
nsx "$NS" ip tuntap add dev slb1 mode tap
nsx "$NS" ip addr add $KA/24 dev slb1
nsx "$NS" ip link set slb1 up
kmac=$(nsx "$NS" cat /sys/class/net/slb1/address)
# Each sockline process has a hardware address of its own: the kernel must
# forget the last one's before it starts a connection to the next.
flush() { nsx "$NS" ip neigh flush dev slb1; }

nsx "$NS" timeout 20 "$SL" ping "${C[@]}" -c 3 -i 0.2 -W 2 --pcap "$TMP/ping.pcap" \
	$KA >"$TMP/ping.out"
check "sockline pings the kernel (ARP first)" \
	grep -qE '^3 packets transmitted, 3 received, 0% packet loss' "$TMP/ping.out"
req=$(tshark_fields "$TMP/ping.pcap" "arp.src.proto_ipv4 == $SA" arp.opcode \
	arp.dst.proto_ipv4 | head -1)
check "sockline asked ARP for $KA first" test "$req" = "1	$KA"
dst=$(tshark_fields "$TMP/ping.pcap" "icmp.type == 8 && ip.src#1 == $SA" eth.dst | sort -u)
check "sockline's echo requests go to the kernel's address from ARP ($kmac)" \
	test "$dst" = "$kmac"
pcap_check "sockline ping's capture" "$TMP/ping.pcap" $SA
flush
nsx "$NS" timeout 20 "$SL" ping "${C[@]}" -c 3 -i 0.2 -W 2 -s 4000 \
	--pcap "$TMP/ping4k.pcap" $KA >"$TMP/ping4k.out"
check "sockline pings the kernel with 4000 bytes (fragments both ways)" \
	grep -qE '^3 packets transmitted, 3 received, 0% packet loss' "$TMP/ping4k.out"
check "sockline ping -s 4000: replies of 4008 bytes" \
	grep -qE "^4008 bytes from $KA: icmp_seq=3 " "$TMP/ping4k.out"
pcap_check "sockline ping -s 4000's capture" "$TMP/ping4k.pcap" $SA

ip netns exec "$NS" timeout 200 python3 -m http.server --bind $KA \
	--directory "$TMP/www" 8080 >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$NS" 8080 || fail "python3 http.server did not start"
T0=$(now_ns)
nsx "$NS" timeout 120 "$SL" get "${C[@]}" -q --pcap "$TMP/get.pcap" \
	-o "$TMP/got.bin" http://$KA:8080/big.bin
rc=$?
check "sockline get: 64 MiB from python3 http.server, SHA-256 equal (status $rc, $(mbps $BIG $(($(now_ns) - T0))))" \
	ok_sha $rc "$TMP/www/big.bin" "$TMP/got.bin"
rm -f "$TMP/got.bin"
pcap_check "sockline get's capture" "$TMP/get.pcap" $SA
rm -f "$TMP/get.pcap"*

ip netns exec "$NS" timeout 120 socat -u TCP-LISTEN:5001,bind=$KA,reuseaddr \
	OPEN:"$TMP/recv.bin",creat,trunc &
RX=$!
PIDS+=($RX)
wait_port "$NS" 5001
nsx "$NS" timeout 120 "$SL" send "${C[@]}" --pcap "$TMP/send.pcap" $KA:5001 \
	<"$TMP/www/big.bin" 2>"$TMP/send.err"
rc=$?
wait $RX
check "sockline send: 64 MiB to socat, SHA-256 equal (status $rc; $(tail -1 "$TMP/send.err"))" \
	ok_sha $rc "$TMP/www/big.bin" "$TMP/recv.bin"
rm -f "$TMP/recv.bin"
pcap_check "sockline send's capture" "$TMP/send.pcap" $SA
rm -f "$TMP/send.pcap"*

flush
ip netns exec "$NS" timeout 120 "$SL" recv "${C[@]}" --pcap "$TMP/recv.pcap" \
	-o "$TMP/recv.bin" 0.0.0.0:5002 2>"$TMP/recv.err" &
RCV=$!
PIDS+=($RCV)
if wait_for "$TMP/recv.err" "listening on 0\.0\.0\.0:5002"; then
	nsx "$NS" timeout 120 socat -u OPEN:"$TMP/www/big.bin" TCP:$SA:5002
	wait $RCV
	rc=$?
	check "sockline recv: 64 MiB from socat, SHA-256 equal (status $rc; $(tail -1 "$TMP/recv.err"))" \
		ok_sha $rc "$TMP/www/big.bin" "$TMP/recv.bin"
	rm -f "$TMP/recv.bin"
	pcap_check "sockline recv's capture" "$TMP/recv.pcap" $SA
else
	fail "sockline recv did not listen: $(cat "$TMP/recv.err")"
fi

lib_finish
