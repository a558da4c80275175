# Shared helpers of the interoperation tests (tests/interop/*_test.sh).
# A test sources it, then calls lib_init NAME BUILD_DIR; it gets
#   $SL (the sockline program), $TMP (a scratch directory), ok/fail/check
#   lines, namespaces made by lib_netns and removed at exit (with every
#   process left in them), and lib_finish for the exit status.
# Everything the tests make lives in their own network namespaces.

LIB_NETNS=()
PIDS=()
FAILS=0
TMP=
LIB_NAME=
LIB_T0=$SECONDS

lib_cleanup() {
	local p ns
	# Our jobs, then anything still in our namespaces (all started here).
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for ns in "${LIB_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for ns in "${LIB_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[[ -n $TMP ]] && rm -rf "$TMP"
}

# lib_init NAME BUILD_DIR [TOOL...]: check root, the tools and the build.
lib_init() {
	local t
	LIB_NAME=$1
	if [[ -z $2 ]]; then
		echo "usage: $LIB_NAME.sh BUILD_DIR" >&2
		exit 2
	fi
	SL=$(cd "$2" && pwd)/sockline
	shift 2
	if ((EUID)); then
		echo "$LIB_NAME: needs root (network namespaces, TAP devices)" >&2
		exit 1
	fi
	for t in ip sha256sum "$@"; do
		command -v "$t" >/dev/null ||
			{ echo "$LIB_NAME: $t is missing" >&2; exit 1; }
	done
	[[ -x $SL ]] || { echo "$LIB_NAME: no $SL" >&2; exit 1; }
	TMP=$(mktemp -d "/tmp/sl-$LIB_NAME.XXXXXX") || exit 1
	trap lib_cleanup EXIT
	trap 'exit 130' INT TERM
}

# lib_netns VAR [TAG]: make namespace sl-NAME[-TAG]-$$, lo up, name in VAR.
lib_netns() {
	local ns=sl-$LIB_NAME${2:+-$2}-$$
	ip netns add "$ns" || { echo "$LIB_NAME: cannot add netns $ns" >&2; exit 1; }
	LIB_NETNS+=("$ns")
	ip netns exec "$ns" ip link set lo up
	printf -v "$1" %s "$ns"
}

# One line per check; one that took 2 s or more since the previous line
# says how long.
LIB_LAST=$SECONDS
lib_line() {
	local d=$((SECONDS - LIB_LAST))
	LIB_LAST=$SECONDS
	if ((d >= 2)); then echo "$1 - $2 [${d} s]"; else echo "$1 - $2"; fi
}
ok() { lib_line "ok  " "$*"; }
fail() { lib_line FAIL "$*"; FAILS=$((FAILS + 1)); }
# check NAME COMMAND...: the command must succeed.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
# nsx NS COMMAND...: run in namespace NS. Background jobs must use
# `ip netns exec NS` itself (it execs the command) rather than this
# function (a subshell), so that $! is the program's own pid.
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
# wait_for FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# wait_port NS PORT [tcp|udp]: until something in NS listens on PORT.
wait_port() {
	local i flag=-Htln
	[[ ${3:-tcp} == udp ]] && flag=-Huln
	for ((i = 0; i < 200; i++)); do
		nsx "$1" ss $flag "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
# wait_exit PID SECONDS: wait for our job PID, killing it after SECONDS;
# its status (143 when killed by the TERM).
wait_exit() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid"
}
# quiet COMMAND...: the command, its output dropped (check's own line stays).
quiet() { "$@" >/dev/null 2>&1; }
same() { cmp -s "$1" "$2"; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# same_sha A B: both files have the same SHA-256 (and A is not empty).
same_sha() { [[ -s $1 && $(sha "$1") == $(sha "$2") ]]; }
# ok_sha STATUS A B: a sockline transfer exited 0 and A and B are equal.
ok_sha() { [[ $1 == 0 ]] && same_sha "$2" "$3"; }
# Seconds since T0 (set T0=$SECONDS first), and a figure per transfer.
elapsed() { echo "$((SECONDS - T0)) s"; }
# mbps BYTES NANOSECONDS
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { if (ns < 1) ns = 1; printf "%.0f Mbit/s", b * 8000 / ns }'; }
now_ns() { date +%s%N; }

# start_serve NS VAR LOG ARGS...: start `sockline serve ARGS` in NS, its pid
# in VAR, stdout/stderr in LOG.out/.err; wait for its ready line.
start_serve() {
	local ns=$1 var=$2 log=$3 pid
	shift 3
	rm -f "$log.out" "$log.err"
	ip netns exec "$ns" "$SL" serve "$@" >"$log.out" 2>"$log.err" &
	pid=$!
	PIDS+=("$pid")
	printf -v "$var" %s "$pid"
	if ! wait_for "$log.out" "^sockline: serving on " 15; then
		echo "serve did not come up:"
		cat "$log.out" "$log.err"
		return 1
	fi
}

# stop_serve PID: SIGTERM, and the status must be 0 (the pcap is complete).
stop_serve() {
	kill -TERM "$1" 2>/dev/null
	wait_exit "$1" 10
}

# tshark's options for the scans: checksum validation on; no TCP
# reassembly nor sequence analysis (a 64 MiB capture reads in a second
# instead of ten); none of the protocols that have heuristic dissectors
# on TCP or UDP, which would take random payload for some protocol and
# call it malformed (the checks are about Ethernet, ARP, IP, ICMP, TCP
# and UDP).
TSHARK_OPTS=()
tshark_opts() {
	local h
	((${#TSHARK_OPTS[@]})) && return
	TSHARK_OPTS=(-n -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE
		-o udp.check_checksum:TRUE -o tcp.desegment_tcp_streams:FALSE
		-o tcp.analyze_sequence_numbers:FALSE)
	for h in $(tshark -G heuristic-decodes 2>/dev/null |
		   awk -F'\t' '$1 == "tcp" || $1 == "udp" { print $2 }'); do
		TSHARK_OPTS+=(--disable-protocol "$h")
	done
}

# pcap_scan FILE SRC: read FILE with tshark and look at the frames SRC
# sent: ARP from SRC, IP whose outer source is SRC (not ICMP errors that
# quote SRC's packets; checksums and length of the outer headers): sets
# PCAP_FRAMES, PCAP_BAD (malformed, an expert error, or a checksum that
# wireshark found bad: status 0, "Bad"; 1 is Good, 2 Unverified) and
# PCAP_MAXTCP (the largest TCP payload); the bad frames' numbers and
# fields go to FILE.bad.
pcap_scan() {
	local file=$1 src=$2 out
	tshark_opts
	out=$(tshark -r "$file" "${TSHARK_OPTS[@]}" \
		-Y "ip.src#1 == $src || arp.src.proto_ipv4 == $src" -T fields -E occurrence=a \
		-e frame.number -e _ws.malformed -e _ws.expert.severity \
		-e ip.checksum.status -e tcp.checksum.status \
		-e udp.checksum.status -e icmp.checksum.status -e tcp.len \
		2>/dev/null | awk -F'\t' -v bad="$file.bad" '
		{
			n++
			for (i = 4; i <= 8; i++)
				sub(/,.*/, "", $i)
			if ($8 != "" && $8 + 0 > max) max = $8 + 0
			b = $2 != "" || $3 ~ /8388608/
			for (i = 4; i <= 7; i++)
				if ($i == "0") b = 1
			if (b) { nb++; print > bad }
		}
		END { printf "%d %d %d\n", n, nb, max }')
	: >>"$file.bad"
	read -r PCAP_FRAMES PCAP_BAD PCAP_MAXTCP <<<"$out"
}

# tshark_fields FILE FILTER FIELD...: the fields of the frames FILTER picks.
tshark_fields() {
	local file=$1 filter=$2 f args=()
	shift 2
	tshark_opts
	for f; do
		args+=(-e "$f")
	done
	tshark -r "$file" "${TSHARK_OPTS[@]}" -Y "$filter" -T fields "${args[@]}" 2>/dev/null
}

# pcap_check NAME FILE SRC: one ok/FAIL line: frames from SRC in FILE, none
# malformed, none with a bad checksum.
pcap_check() {
	local name=$1 file=$2 src=$3
	if [[ ! -s $file ]]; then
		fail "$name: no capture $file"
		return
	fi
	pcap_scan "$file" "$src"
	if ((PCAP_FRAMES > 0 && PCAP_BAD == 0)); then
		ok "$name: $PCAP_FRAMES frames from $src, none malformed, no bad checksum"
	else
		fail "$name: $PCAP_BAD bad of $PCAP_FRAMES frames from $src (first: $(head -2 "$file.bad" | tr '\t\n' ' |'))"
	fi
}

# snmp_value FILE PROTO FIELD: a counter from `sockline ss -s` output (the
# /proc/net/snmp layout: a line of names, then one of values).
snmp_value() {
	awk -v p="$2:" -v f="$3" '$1 == p {
		if (!names) { for (i = 2; i <= NF; i++) if ($i == f) col = i; names = 1 }
		else { print (col ? $col : ""); exit }
	}' "$1"
}

# lib_finish: the summary line and the exit status.
lib_finish() {
	if ((FAILS)); then
		echo "$LIB_NAME: $FAILS check(s) failed ($((SECONDS - LIB_T0)) s)"
		exit 1
	fi
	echo "$LIB_NAME: all checks passed ($((SECONDS - LIB_T0)) s)"
	exit 0
}
