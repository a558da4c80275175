#!/bin/bash
# Unmodified programs on sockline (libsockline-preload.so, `sockline run`),
# against the Linux kernel's stack over a TAP, in a namespace of its own:
#   1. the shim itself: what it exports, `sockline run` usage and errors,
#      lazy start (a program without sockets never touches the device),
#      ENETDOWN with a reason when the device options are missing;
#   2. programs both ways: python3 -m http.server on sockline (IPv4 and a
#      [::] dual-stack server) and curl on sockline to a kernel one, nc
#      (netcat-openbsd) and socat both ways, TCP and UDP; every transfer
#      checked with SHA-256 on the other side; curl over packet:IFNAME
#      (a veth end) too; the capture (--pcap) is
#      clean; `sockline ss` lists the program's sockets;
#   3. tests/preload/preload_probe: poll/select/epoll mixing a pipe and a
#      socket, EINTR and SA_RESTART, dup2/F_DUPFD, the dual-stack facade,
#      fork and exec children with sockets of their own, close-on-exec;
#   4. the environment form (LD_PRELOAD=... SOCKLINE_DEV=...) and --trace;
#      ping, whose RTTs come from SO_TIMESTAMP (wall-clock stamps).
# Usage: preload_basic_test.sh BUILD_DIR (ctest passes it; needs root).
set -u
. "$(dirname "$0")/lib.sh"

lib_init preload-basic "${1:-}" socat curl nc python3 tshark nm
B=$(dirname "$SL")
LIB=$B/libsockline-preload.so
PROBE=$B/tests/preload/preload_probe
[[ -r $LIB && -x $PROBE ]] || { echo "preload-basic: no $LIB or $PROBE" >&2; exit 1; }
# A sanitized build's shim needs the ASan runtime, loaded after the
# program (src/preload/CMakeLists.txt).
if nm -D --undefined-only "$LIB" | grep -q __asan_; then
	export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
fi

lib_netns NS
SA=10.232.0.2
KA=10.232.0.1
TAP=slpre0
# A multi-queue TAP made first, the kernel's side addressed: forked and
# exec'd children open queues of their own.
nsx "$NS" ip tuntap add dev $TAP mode tap multi_queue
nsx "$NS" ip addr add $KA/24 dev $TAP
nsx "$NS" ip link set $TAP up
RUN=("$SL" run --dev tap:$TAP --addr $SA/24)
NSX=(ip netns exec "$NS")
# wait_sl_port PID PORT: until the program PID (under `sockline run`)
# listens on PORT, as `sockline ss` sees it (the kernel's ss cannot).
wait_sl_port() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$SL" ss -S --pid "$1" 2>/dev/null | grep -q "LISTEN.*:$2 " && return 0
		sleep 0.1
	done
	return 1
}

mkdir -p "$TMP/www"
head -c 16777216 /dev/urandom >"$TMP/www/big.bin"
head -c 1048576 /dev/urandom >"$TMP/mid.bin"
head -c 1200 /dev/urandom >"$TMP/dgram.bin"

# --- 1. the shim ----------------------------------------------------------------
bad=$(nm -D --defined-only "$LIB" | awk '{ print $3 }' | grep -E '^(sl_|tool_|devopts_)')
check "the shim exports libc's names only (none of: $(echo $bad))" test -z "$bad"
for f in socket connect accept4 recvmmsg epoll_pwait sendfile __read_chk close_range sigaction; do
	nm -D --defined-only "$LIB" | grep -qw "$f" || fail "the shim does not export $f"
done
check "sockline run --help" quiet "$SL" run --help
"$SL" run --dev tap:x --addr $SA/24 >/dev/null 2>"$TMP/usage.err"
check "sockline run without a program: status 2" test $? = 2
"$SL" run --dev tap:x --addr 300.1.1.1/24 -- true 2>"$TMP/usage.err"
rc=$?
check "sockline run with a bad address: status 2 and why" \
	eval '[[ $rc == 2 ]] && grep -q "bad address" "$TMP/usage.err"'
"$SL" run --dev tap:x --addr $SA/24 -- /nonexistent/prog 2>"$TMP/usage.err"
check "sockline run of a missing program: status 127" test $? = 127
out=$(nsx "$NS" "${RUN[@]/tap:$TAP/tap:slprelazy}" -- sh -c 'echo $LD_PRELOAD')
check "LD_PRELOAD holds the shim" test "$out" = "$LIB"
check "lazy start: a program without sockets leaves the device alone" \
	eval '! nsx "$NS" ip link show slprelazy >/dev/null 2>&1'
out=$(LD_PRELOAD=$LIB SOCKLINE_DEV= python3 -c '
import socket
try:
    socket.socket()
except OSError as e:
    print(e.errno)
u = socket.socket(socket.AF_UNIX)
print("unix", u.family == socket.AF_UNIX)' 2>"$TMP/enetdown.err")
check "no --dev: ENETDOWN, and AF_UNIX still the kernel's" \
	test "$out" = "$(printf '100\nunix True')"
check "no --dev: the reason on stderr" grep -q "no device" "$TMP/enetdown.err"

# --- 2. programs both ways --------------------------------------------------------
(cd "$TMP/www" && exec "${NSX[@]}" "${RUN[@]}" --pcap "$TMP/http.pcap" -- \
	python3 -m http.server --bind $SA 8000) >"$TMP/http.out" 2>&1 &
PIDS+=($!)
HTTP=$!
wait_for "$TMP/http.out" "Serving HTTP" 15 || cat "$TMP/http.out"
nsx "$NS" curl -sS --max-time 30 -o "$TMP/got1.bin" http://$SA:8000/big.bin
check "python3 http.server on sockline, curl from the kernel: 16 MiB" \
	same_sha "$TMP/got1.bin" "$TMP/www/big.bin"
"$SL" ss --pid $HTTP >"$TMP/ss.out" 2>&1
check "sockline ss lists the program's listener" grep -q "LISTEN.*$SA:8000" "$TMP/ss.out"
kill -INT $HTTP
wait_exit $HTTP 10 >/dev/null
pcap_check "the program's capture" "$TMP/http.pcap" $SA

(cd "$TMP/www" && exec "${NSX[@]}" python3 -m http.server 8001) \
	>"$TMP/khttp.out" 2>&1 &
KHTTP=$!
PIDS+=($KHTTP)
wait_for "$TMP/khttp.out" "Serving HTTP" 15
nsx "$NS" "${RUN[@]}" -- curl -sS --max-time 30 -o "$TMP/got2.bin" http://$KA:8001/big.bin
check "curl on sockline from a kernel http.server: 16 MiB" \
	ok_sha $? "$TMP/got2.bin" "$TMP/www/big.bin"

(cd "$TMP/www" && exec "${NSX[@]}" "${RUN[@]}" -- \
	python3 -m http.server --bind :: 8002) >"$TMP/http6.out" 2>&1 &
HTTP6=$!
PIDS+=($HTTP6)
wait_for "$TMP/http6.out" "Serving HTTP" 15 || cat "$TMP/http6.out"
nsx "$NS" curl -sS --max-time 30 -o "$TMP/got3.bin" http://$SA:8002/big.bin
check "python3 http.server on [::] (dual-stack facade), curl over IPv4" \
	same_sha "$TMP/got3.bin" "$TMP/www/big.bin"
check "the server saw an IPv4-mapped peer" wait_for "$TMP/http6.out" "::ffff:$KA" 5
kill $HTTP6 2>/dev/null

"${NSX[@]}" nc -l -p 7001 >"$TMP/nc1.out" &
PIDS+=($!)
wait_port "$NS" 7001
nsx "$NS" "${RUN[@]}" -- nc -N $KA 7001 <"$TMP/www/big.bin"
check "nc on sockline sends 16 MiB to a kernel nc, then exits" \
	eval 'wait_exit $! 10; same_sha "$TMP/nc1.out" "$TMP/www/big.bin"'
"${NSX[@]}" "${RUN[@]}" -- nc -l -p 7002 >"$TMP/nc2.out" &
NC=$!
PIDS+=($NC)
wait_sl_port $NC 7002
nsx "$NS" nc -N $SA 7002 <"$TMP/www/big.bin"
check "kernel nc sends 16 MiB to nc -l on sockline" \
	eval 'wait_exit $NC 10; same_sha "$TMP/nc2.out" "$TMP/www/big.bin"'

"${NSX[@]}" socat -u TCP-LISTEN:7003,reuseaddr OPEN:"$TMP/socat1.out",creat,trunc &
SOCAT=$!
PIDS+=($SOCAT)
wait_port "$NS" 7003
nsx "$NS" "${RUN[@]}" -- socat -u OPEN:"$TMP/mid.bin" TCP:$KA:7003
check "socat on sockline to a kernel socat (TCP, 1 MiB)" \
	eval 'wait_exit $SOCAT 10; same_sha "$TMP/socat1.out" "$TMP/mid.bin"'
"${NSX[@]}" "${RUN[@]}" -- socat -u TCP-LISTEN:7004,reuseaddr \
	OPEN:"$TMP/socat2.out",creat,trunc &
SOCAT=$!
PIDS+=($SOCAT)
wait_sl_port $SOCAT 7004
nsx "$NS" socat -u OPEN:"$TMP/mid.bin" TCP:$SA:7004
check "kernel socat to socat on sockline (TCP, 1 MiB)" \
	eval 'wait_exit $SOCAT 10; same_sha "$TMP/socat2.out" "$TMP/mid.bin"'
"${NSX[@]}" socat -u UDP-RECV:7005 OPEN:"$TMP/udp1.out",creat,trunc &
SOCAT=$!
PIDS+=($SOCAT)
wait_port "$NS" 7005 udp
nsx "$NS" "${RUN[@]}" -- socat -u OPEN:"$TMP/dgram.bin" UDP:$KA:7005
sleep 0.5
check "socat on sockline sends a UDP datagram to the kernel" \
	same "$TMP/udp1.out" "$TMP/dgram.bin"
kill $SOCAT 2>/dev/null
"${NSX[@]}" "${RUN[@]}" -- socat -u UDP-RECV:7006 OPEN:"$TMP/udp2.out",creat,trunc &
SOCAT=$!
PIDS+=($SOCAT)
sleep 1
nsx "$NS" socat -u OPEN:"$TMP/dgram.bin" UDP:$SA:7006
sleep 0.5
check "kernel socat sends a UDP datagram to socat on sockline" \
	same "$TMP/udp2.out" "$TMP/dgram.bin"
kill $SOCAT 2>/dev/null
wait $SOCAT 2>/dev/null

# The other kind of link: AF_PACKET on one end of a veth pair.
nsx "$NS" ip link add slprev0 type veth peer name slprev1
nsx "$NS" ip addr add 10.233.0.1/24 dev slprev1
nsx "$NS" ip link set slprev0 up
nsx "$NS" ip link set slprev1 up
nsx "$NS" "$SL" run --dev packet:slprev0 --addr 10.233.0.2/24 -- \
	curl -sS --max-time 30 -o "$TMP/got4.bin" http://10.233.0.1:8001/big.bin
check "curl on sockline over packet:IFNAME (veth) from a kernel http.server" \
	ok_sha $? "$TMP/got4.bin" "$TMP/www/big.bin"

# --- 3. the probe -----------------------------------------------------------------------
# probe NAME ARGS...: preload_probe under `sockline run`; its ok/FAIL lines
# are ours.
probe() {
	local out rc line
	out=$(nsx "$NS" timeout 60 "${RUN[@]}" -- "$PROBE" "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "probe $1: ${line#ok }" ;;
		"FAIL "*) fail "probe $1: ${line#FAIL }" ;;
		esac
	done <<<"$out"
	((rc == 0)) || { fail "probe $1: status $rc"; echo "$out" | tail -5; }
}

"${NSX[@]}" socat TCP-LISTEN:7010,fork,reuseaddr EXEC:cat &
PIDS+=($!)
"${NSX[@]}" socat -u TCP-LISTEN:7011,fork,reuseaddr OPEN:"$TMP/lines.out",creat,append &
PIDS+=($!)
wait_port "$NS" 7010
wait_port "$NS" 7011
probe mix $KA 7010
probe eintr 7012
probe dup2 $KA 7011
probe fork $KA 7011
probe exec $KA 7011 "$PROBE"
sleep 0.5
check "dup2: the kernel got what fd 1 and the F_DUPFD copy wrote" \
	eval 'grep -qx "written to fd 1" "$TMP/lines.out" && grep -qx "via F_DUPFD" "$TMP/lines.out"'
check "fork: the kernel got the child's two connections and the parent's" \
	eval '[[ $(grep -c "^child [01]$" "$TMP/lines.out") == 2 ]] &&
	      grep -qx "parent after the child" "$TMP/lines.out"'
check "exec: the kernel got the exec'd child's and sh -c's connections" \
	eval 'grep -qx "exec child" "$TMP/lines.out" && grep -qx "sh child" "$TMP/lines.out"'

"${NSX[@]}" "${RUN[@]}" -- "$PROBE" v6 7013 >"$TMP/v6.out" 2>&1 &
V6=$!
PIDS+=($V6)
wait_for "$TMP/v6.out" "^listening" 15
out=$(printf 'over ipv4\n' | nsx "$NS" socat -t 2 - TCP:$SA:7013)
check "[::] server: the kernel's IPv4 connection is echoed" test "$out" = "over ipv4"
wait_exit $V6 10 >/dev/null
check "[::] server: mapped addresses both ways" \
	grep -qx "peer ::ffff:$KA self ::ffff:$SA" "$TMP/v6.out"
grep -q "^FAIL" "$TMP/v6.out" && fail "probe v6: $(grep ^FAIL "$TMP/v6.out")"
grep "^ok" "$TMP/v6.out" | while read -r _ line; do ok "probe v6: $line"; done

# --- 4. the environment form, --trace ---------------------------------------------------
"${NSX[@]}" socat -u TCP-LISTEN:7020,reuseaddr OPEN:"$TMP/env.out",creat,trunc &
SOCAT=$!
PIDS+=($SOCAT)
wait_port "$NS" 7020
nsx "$NS" env LD_PRELOAD="$LIB" SOCKLINE_DEV=tap:$TAP SOCKLINE_ADDR=$SA/24 \
	SOCKLINE_TRACE=1 socat -u OPEN:"$TMP/mid.bin" TCP:$KA:7020 2>"$TMP/trace.err"
check "env form (no sockline run): socat sends 1 MiB" \
	eval 'wait_exit $SOCAT 10; same_sha "$TMP/env.out" "$TMP/mid.bin"'
check "SOCKLINE_TRACE: one line per call (socket, connect, write)" \
	eval 'grep -q "^sockline: socket(AF_INET, .*) = [0-9]" "$TMP/trace.err" &&
	      grep -q "^sockline: connect(.*) = 0" "$TMP/trace.err" &&
	      grep -q "^sockline: write(.*) = [0-9]" "$TMP/trace.err"'
nsx "$NS" "${RUN[@]}" --trace -- python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
try:
    s.connect(("2001:db8::1", 80))
except OSError as e:
    print("v6", e.errno)' >"$TMP/v6native.out" 2>"$TMP/v6native.err"
check "native IPv6 goes to the kernel (no route there: ENETUNREACH), said once" \
	eval 'grep -qx "v6 101" "$TMP/v6native.out" &&
	      [[ $(grep -c "native IPv6" "$TMP/v6native.err") == 1 ]]'
nsx "$NS" "${RUN[@]}" -- ping -c 3 -i 0.2 -W 2 $KA >"$TMP/ping.out" 2>&1
check "ping on sockline: 3 replies, receive stamps in wall time (no 'time of day goes back')" \
	eval 'grep -q "3 received" "$TMP/ping.out" &&
	      ! grep -qi "time of day" "$TMP/ping.out"'

lib_finish
