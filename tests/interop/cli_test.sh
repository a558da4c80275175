#!/bin/bash
# The sockline command line on real links, checked against the Linux
# kernel's own tools in a network namespace of its own:
#   1. `sockline serve` on tap:slcli0 (created by sockline): the kernel pings
#      it (also with fragments), socat does TCP and UDP echo and discard,
#      curl does GET/HEAD/404/keep-alive, 1,000 concurrent kernel
#      connections are echoed, `sockline ss` lists the connections.
#   2. sockline's clients on tap:slcli1 (a persistent TAP the kernel
#      addresses first): ping, get (python3 http.server, a chunked answer),
#      send and recv (socat), each transfer checked with SHA-256; ping and
#      send again over packet:slcv1 (AF_PACKET on a veth end).
#   3. --help of every command, usage errors and their exit status.
# Usage: cli_test.sh BUILD_DIR (ctest passes it; needs root).
set -u

B=${1:?usage: cli_test.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
SL=$(cd "$B" && pwd)/sockline
NS=sl-cli-$$
TMP=$(mktemp -d /tmp/sl-cli.XXXXXX)
PIDS=()
FAILS=0

cleanup() {
	local p
	# Our jobs, then anything still in our namespace (all started here).
	for p in "${PIDS[@]}" $(ip netns pids "$NS" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
# check NAME COMMAND...: the command must succeed.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
nsx() { ip netns exec "$NS" "$@"; }
# Background jobs run `ip netns exec` itself (it execs the command), not
# the nsx function (a subshell), so that $! is the program's own pid.
NSX=(ip netns exec "$NS")
# wait_for FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# wait_port PORT: until something in the namespace listens on TCP PORT.
wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		nsx ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
same() { cmp -s "$1" "$2"; }

if ((EUID)); then
	echo "cli_test: needs root (network namespaces, TAP devices)" >&2
	exit 1
fi
for t in ip ping socat curl python3 sha256sum; do
	command -v "$t" >/dev/null || { echo "cli_test: $t is missing" >&2; exit 1; }
done
[[ -x $SL ]] || { echo "cli_test: no $SL" >&2; exit 1; }

ip netns add "$NS" || exit 1
nsx ip link set lo up

mkdir -p "$TMP/www/sub"
echo "hello from sockline" >"$TMP/www/index.html"
echo "inside sub" >"$TMP/www/sub/index.html"
head -c 1048576 /dev/urandom >"$TMP/www/blob.bin"
head -c 16777216 /dev/urandom >"$TMP/big.bin"
head -c 3000 /dev/urandom >"$TMP/dgram.bin"

# --- 1. sockline serve --------------------------------------------------------
SA=10.231.0.2
"${NSX[@]}" "$SL" serve --dev tap:slcli0 --addr $SA/24 --echo --discard \
	--http "$TMP/www" --pcap "$TMP/serve.pcap" \
	>"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
if ! wait_for "$TMP/serve.out" "^sockline: serving on $SA \(tap:slcli0\)"; then
	echo "serve did not come up:"; cat "$TMP/serve.out" "$TMP/serve.err"
	exit 1
fi
ok "serve: ready line"
nsx ip addr add 10.231.0.1/24 dev slcli0
nsx ip link set slcli0 up

check "kernel pings sockline" nsx ping -c 3 -i 0.2 -W 2 -q $SA >/dev/null
check "kernel pings sockline with fragments (-s 4000)" \
	nsx ping -c 2 -i 0.2 -W 2 -s 4000 -q $SA >/dev/null

out=$(printf 'hello echo\n' | nsx socat -t 2 - TCP:$SA:7)
check "TCP echo: a line" test "$out" = "hello echo"
nsx socat -t 5 - TCP:$SA:7 <"$TMP/www/blob.bin" >"$TMP/echo.bin"
check "TCP echo: 1 MiB round trip" same "$TMP/www/blob.bin" "$TMP/echo.bin"
out=$(printf 'hello udp\n' | nsx socat -t 1 - UDP:$SA:7)
check "UDP echo: a datagram" test "$out" = "hello udp"
nsx socat -t 1 -b 65536 - UDP:$SA:7 <"$TMP/dgram.bin" >"$TMP/dgram.out"
check "UDP echo: 3000 bytes (fragmented both ways)" same "$TMP/dgram.bin" "$TMP/dgram.out"
check "TCP discard: 1 MiB" nsx socat -u OPEN:"$TMP/www/blob.bin" TCP:$SA:9
check "UDP discard" nsx socat -u OPEN:"$TMP/dgram.bin" UDP:$SA:9

nsx curl -sS -o "$TMP/got.bin" http://$SA/blob.bin
check "HTTP GET 1 MiB" same "$TMP/www/blob.bin" "$TMP/got.bin"
out=$(nsx curl -sS http://$SA/)
check "HTTP GET / (index.html)" test "$out" = "hello from sockline"
hdr=$(nsx curl -sSI http://$SA/blob.bin | tr -d '\r')
check "HTTP HEAD: 200 and Content-Length" \
	grep -qx "Content-Length: 1048576" <<<"$hdr"
check "HTTP HEAD: status line" grep -qx "HTTP/1.1 200 OK" <<<"$hdr"
code=$(nsx curl -s -o /dev/null -w '%{http_code}' http://$SA/nope.txt)
check "HTTP 404" test "$code" = 404
code=$(nsx curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://$SA/sub)
check "HTTP directory without / -> 301" test "$code" = "301 http://$SA/sub/"
code=$(nsx curl -s -o /dev/null -w '%{http_code}' --path-as-is http://$SA/../../etc/passwd)
check "HTTP /../ above the root refused ($code)" test "$code" = 400
code=$(nsx curl -s -o /dev/null -w '%{http_code}' http://$SA/%2e%2e/%2e%2e/etc/passwd)
check "HTTP %2e%2e above the root refused ($code)" test "$code" = 400
out=$(printf 'garbage\r\n\r\n' | nsx socat -t 2 - TCP:$SA:80 | head -1 | tr -d '\r')
check "HTTP garbage -> 400" test "$out" = "HTTP/1.1 400 Bad Request"
n=$(nsx curl -sv -o /dev/null -o /dev/null -o /dev/null http://$SA/ \
	http://$SA/blob.bin http://$SA/sub/ 2>&1 | grep -ci "re-using existing connection")
check "HTTP keep-alive: 3 requests, 1 connection ($n reuses)" test "$n" -ge 2
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	nsx socat -t 3 - TCP:$SA:80 | tr -d '\r' | grep -c '^HTTP/1.1 200 OK$')
check "HTTP pipelining: 2 answers" test "$out" = 2

# 1,000 concurrent kernel connections to the echo server.
ulimit -n 4096
good=$(nsx python3 "$HERE/many_echo.py" $SA 1000 40)
check "1000 concurrent kernel connections echoed ($good)" test "$good" = 1000

# sockline ss: a connection kept open, seen from the stack.
(sleep 4; echo) | "${NSX[@]}" socat - TCP:$SA:7 >/dev/null &
PIDS+=($!)
sleep 0.5
"$SL" ss --pid "$SERVE" >"$TMP/ss.out"
check "ss: listener on port 80" grep -qE '^tcp +LISTEN .* 0\.0\.0\.0:80 ' "$TMP/ss.out"
check "ss: UDP echo socket" grep -qE '^udp +UNCONN .* 0\.0\.0\.0:7 ' "$TMP/ss.out"
check "ss: the kernel's connection" grep -qE "^tcp +ESTAB .* $SA:7 +10\.231\.0\.1:[0-9]+" "$TMP/ss.out"
check "ss: counters" grep -q '^Tcp: ' "$TMP/ss.out"
"$SL" ss -i -S --socket /run/sockline/$SERVE.sock >"$TMP/ssi.out" 2>&1 ||
	"$SL" ss -i -S --socket /tmp/sockline-0/$SERVE.sock >"$TMP/ssi.out"
check "ss -i: cwnd and rtt of the connection" grep -qE '^	 .*rtt:[0-9.]+/[0-9.]+ .*cwnd:[0-9]+' "$TMP/ssi.out"
check "ss -S: no counters" bash -c "! grep -q '^Tcp: ' $TMP/ssi.out"

check "serve --pcap: a capture tcpdump reads" \
	bash -c "command -v tcpdump >/dev/null || exit 0; tcpdump -nr $TMP/serve.pcap 2>/dev/null | grep -q 'ICMP echo request'"
kill -TERM "$SERVE"
wait "$SERVE"
rc=$?
check "serve stops on SIGTERM (status $rc)" test "$rc" = 0
check "serve removed its control socket" \
	test ! -e /run/sockline/$SERVE.sock -a ! -e /tmp/sockline-0/$SERVE.sock

# --- 2. sockline's clients against kernel servers -----------------------------
KA=10.232.0.1
C=(--dev tap:slcli1 --addr 10.232.0.2/24)
nsx ip tuntap add dev slcli1 mode tap
nsx ip addr add $KA/24 dev slcli1
nsx ip link set slcli1 up
flush() { nsx ip neigh flush dev slcli1; }

nsx "$SL" ping "${C[@]}" -c 3 -i 0.2 $KA >"$TMP/ping.out"
rc=$?
check "sockline ping: exit 0" test $rc = 0
check "sockline ping: header" grep -qx "PING $KA ($KA) 56(84) bytes of data." "$TMP/ping.out"
check "sockline ping: replies" grep -qE "^64 bytes from $KA: icmp_seq=3 ttl=64 time=[0-9.]+ ms$" "$TMP/ping.out"
check "sockline ping: statistics" grep -qx -- "--- $KA ping statistics ---" "$TMP/ping.out"
check "sockline ping: counts" grep -qE '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$' "$TMP/ping.out"
check "sockline ping: rtt line" grep -qE '^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' "$TMP/ping.out"
flush
nsx "$SL" ping "${C[@]}" -c 2 -i 0.2 -s 4000 $KA >"$TMP/ping4k.out"
check "sockline ping -s 4000 (fragments both ways)" grep -qE "^4008 bytes from $KA: icmp_seq=2 " "$TMP/ping4k.out"
flush
nsx "$SL" ping "${C[@]}" -c 1 -W 1 10.232.0.99 >"$TMP/ping99.out"
rc=$?
check "sockline ping: no reply -> exit 1" test $rc = 1
check "sockline ping: 100% loss" grep -qE '^1 packets transmitted, 0 received.* 100% packet loss' "$TMP/ping99.out"
flush
SOCKLINE_DEV=tap:slcli1 SOCKLINE_ADDR=10.232.0.2/24 \
	nsx "$SL" ping -c 1 -q $KA >/dev/null
check "device options from the environment" test $? = 0

"${NSX[@]}" python3 -m http.server --bind $KA --directory "$TMP/www" 8080 \
	>/dev/null 2>&1 &
PIDS+=($!)
wait_port 8080 || fail "python3 http.server did not start"
flush
nsx "$SL" get "${C[@]}" -q -o "$TMP/get.bin" http://$KA:8080/blob.bin
check "sockline get: 1 MiB from python3 http.server" same "$TMP/www/blob.bin" "$TMP/get.bin"
flush
nsx "$SL" get "${C[@]}" -q -o "$TMP/get404" http://$KA:8080/nope 2>"$TMP/get404.err"
rc=$?
check "sockline get: 404 -> exit 1 ($rc)" test $rc = 1
check "sockline get: says HTTP 404" grep -q "HTTP 404" "$TMP/get404.err"
check "sockline get: no file for a 404" test ! -e "$TMP/get404"
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=y\r\n world!\r\n0\r\nX-Trailer: 1\r\n\r\n' >"$TMP/chunked.resp"
"${NSX[@]}" socat -U TCP-LISTEN:8081,bind=$KA,reuseaddr OPEN:"$TMP/chunked.resp",rdonly &
PIDS+=($!)
wait_port 8081
flush
out=$(nsx "$SL" get "${C[@]}" -q http://$KA:8081/)
check "sockline get: chunked body" test "$out" = "hello world!"

"${NSX[@]}" socat -u TCP-LISTEN:5001,bind=$KA,reuseaddr OPEN:"$TMP/recv.bin",creat,trunc &
RX=$!
PIDS+=("$RX")
wait_port 5001
flush
nsx "$SL" send "${C[@]}" $KA:5001 <"$TMP/big.bin" 2>"$TMP/send.err"
rc=$?
wait "$RX"
check "sockline send: exit 0" test $rc = 0
check "sockline send: 16 MiB, SHA-256 equal" \
	test "$(sha256sum <"$TMP/big.bin")" = "$(sha256sum <"$TMP/recv.bin")"
check "sockline send: final line" grep -qE '^sockline send: 16777216 bytes in [0-9.]+ s, [0-9.]+ Mbit/s, [0-9]+ retransmissions$' "$TMP/send.err"

"${NSX[@]}" socat -u TCP-LISTEN:5003,bind=$KA,reuseaddr OPEN:"$TMP/recvn.bin",creat,trunc &
RX=$!
PIDS+=("$RX")
wait_port 5003
flush
nsx "$SL" send "${C[@]}" -q -n 8M $KA:5003
rc=$?
wait "$RX"
check "sockline send -n 8M: $(stat -c %s "$TMP/recvn.bin") bytes" \
	test $rc = 0 -a "$(stat -c %s "$TMP/recvn.bin")" = 8388608

flush
"${NSX[@]}" "$SL" recv "${C[@]}" -o "$TMP/recv2.bin" 0.0.0.0:5002 2>"$TMP/recv.err" &
RCV=$!
PIDS+=("$RCV")
if wait_for "$TMP/recv.err" "listening on 0\.0\.0\.0:5002"; then
	"$SL" ss --pid "$RCV" -S >"$TMP/ss2.out"
	check "ss of a recv process: its listener" grep -qE '^tcp +LISTEN .* 0\.0\.0\.0:5002 ' "$TMP/ss2.out"
	nsx socat -u OPEN:"$TMP/big.bin" TCP:10.232.0.2:5002
	wait "$RCV"
	rc=$?
	check "sockline recv: exit 0" test $rc = 0
	check "sockline recv: 16 MiB, SHA-256 equal" \
		test "$(sha256sum <"$TMP/big.bin")" = "$(sha256sum <"$TMP/recv2.bin")"
	check "sockline recv: final line" grep -qE '^sockline recv: 16777216 bytes in [0-9.]+ s, [0-9.]+ Mbit/s, [0-9]+ retransmissions$' "$TMP/recv.err"
else
	fail "sockline recv did not listen: $(cat "$TMP/recv.err")"
fi

# The same clients through AF_PACKET on one end of a veth pair.
nsx ip link add slcv0 type veth peer name slcv1
nsx ip addr add 10.233.0.1/24 dev slcv0
nsx ip link set slcv0 up
nsx ip link set slcv1 up
P=(--dev packet:slcv1 --addr 10.233.0.2/24)
nsx "$SL" ping "${P[@]}" -c 2 -i 0.2 10.233.0.1 >"$TMP/pingp.out"
check "sockline ping over packet:slcv1" grep -qE '^2 packets transmitted, 2 received, 0% packet loss' "$TMP/pingp.out"
"${NSX[@]}" socat -u TCP-LISTEN:5004,bind=10.233.0.1,reuseaddr OPEN:"$TMP/recvp.bin",creat,trunc &
RX=$!
PIDS+=("$RX")
wait_port 5004
nsx "$SL" send "${P[@]}" -q 10.233.0.1:5004 <"$TMP/big.bin"
rc=$?
wait "$RX"
check "sockline send over packet:slcv1: 16 MiB, SHA-256 equal" \
	test $rc = 0 -a "$(sha256sum <"$TMP/big.bin")" = "$(sha256sum <"$TMP/recvp.bin")"

# --- 3. help and usage errors -------------------------------------------------
out=$("$SL" --help)
check "sockline --help lists the commands" \
	bash -c 'for c in serve ping get send recv ss demo; do grep -qE "^  $c " <<<"$1" || exit 1; done' _ "$out"
for c in serve ping get send recv ss; do
	out=$("$SL" $c --help)
	rc=$?
	check "sockline $c --help" \
		bash -c '[[ $1 == 0 ]] && grep -q "^usage: sockline $2 " <<<"$3"' _ $rc $c "$out"
done
# usage STATUS PATTERN ARGS...: exit STATUS, stderr matching PATTERN.
usage() {
	local want=$1 pat=$2 err rc
	shift 2
	err=$(nsx "$SL" "$@" 2>&1 >/dev/null)
	rc=$?
	if [[ $rc == "$want" ]] && grep -qE "$pat" <<<"$err"; then
		ok "error: sockline $* -> $rc: ${err%%$'\n'*}"
	else
		fail "error: sockline $* -> $rc (want $want, /$pat/): $err"
	fi
}
usage 2 "no device" serve
usage 2 "bad device 'eth0'" serve --dev eth0 --addr 10.0.0.2/24
usage 2 "no address" ping --dev tap:slcli9 10.0.0.1
usage 2 "bad address '300.1.1.1/24'" ping --dev tap:slcli9 --addr 300.1.1.1/24 10.0.0.1
usage 2 "bad address '10.0.0.2/33'" get --dev tap:slcli9 --addr 10.0.0.2/33 http://10.0.0.1/
usage 2 "bad --mtu" serve --dev tap:slcli9 --addr 10.0.0.2/24 --mtu 12
usage 2 "bad gateway" ping --dev tap:slcli9 --addr 10.0.0.2/24 --gw x 10.0.0.1
usage 2 "no HOST given" ping --dev tap:slcli9 --addr 10.0.0.2/24
usage 2 "only http://" get --dev tap:slcli9 --addr 10.0.0.2/24 ftp://10.0.0.1/
usage 2 "bad HOST:PORT" send --dev tap:slcli9 --addr 10.0.0.2/24 10.0.0.1
usage 2 "unknown command" frobnicate
usage 2 "Try 'sockline serve --help'" serve --bogus
usage 1 "cannot open packet:nosuch0: no such interface" \
	ping --dev packet:nosuch0 --addr 10.0.0.2/24 -c 1 10.0.0.1
usage 1 "no sockline stack in process 1" ss --pid 1

if ((FAILS)); then
	echo "cli_test: $FAILS check(s) failed"
	exit 1
fi
echo "cli_test: all checks passed"
