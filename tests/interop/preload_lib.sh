# shellcheck shell=bash
# Shared helpers of the LD_PRELOAD acceptance tests
# (tests/interop/preload_apps_*_test.sh): unmodified Debian programs run
# on sockline through `sockline run`, the kernel's stack on the other side.
# A test sources lib.sh and this file, then calls
#   pl_init NAME BUILD_DIR NET [TOOL...]   NET: the /24's first three octets
# and gets:
#   $KNS   the kernel side's namespace, address $KA (NET.1)
#   $SLA   the address of the programs run with sl_run/sl_bg (NET.2)
#   sl_run SECONDS LOG PROGRAM ARGS...   a program on sockline, foreground,
#          stdout to the caller, stderr to LOG (cut after SECONDS)
#   sl_bg VAR LOG PROGRAM ARGS...        the same in the background, pid in
#          VAR, stdout/stderr in LOG.out/LOG.err
#   k_run SECONDS PROGRAM ARGS...        a program on the kernel side
#   k_bg VAR LOG PROGRAM ARGS...         the same in the background
#
# The real mode (the default): $KNS holds a persistent TAP addressed $KA/24;
# each sockline program attaches to it with `sockline run --dev tap:...
# --addr $SLA/24`, one program at a time (a TAP without IFF_MULTI_QUEUE
# takes one opener), so the kernel's ARP entry is flushed before each (a
# new stack may come with a new MAC address).
#
# SL_PRELOAD_DRY=1 (development only): the "sockline" programs run plainly,
# with the kernel's stack, in a second namespace at the other end of a veth
# pair. It checks the tests' own logic (configs, readiness, checks) without
# the shim; the real test is the default mode.
# SL_PRELOAD_TRACE=1 adds --trace to `sockline run` (the trace goes to the
# program's stderr log); SL_PRELOAD_ENV=1 uses the environment form
# (LD_PRELOAD=... SOCKLINE_DEV=... SOCKLINE_ADDR=...) instead of `sockline run`.
# A failed step prints the last lines of the program's stderr ("  | ...").

PL_TAP=slapp0
PL_DRY=${SL_PRELOAD_DRY:-0}
PRELOAD=
PL_ENV=()
SNS=
KNS=
KA=
SLA=

# pl_init NAME BUILD_DIR NET [TOOL...]
pl_init() {
	local name=$1 build=$2 net=$3
	shift 3
	lib_init "$name" "$build" timeout "$@"
	PRELOAD=$(cd "$build" && pwd)/libsockline-preload.so
	if ((!PL_DRY)) && [[ ! -f $PRELOAD ]]; then
		echo "$name: no $PRELOAD (SL_PRELOAD_DRY=1 runs the tests' logic without it)" >&2
		exit 1
	fi
	# An ASan build's shim carries the shared ASan runtime into programs
	# that are not built with it, so the runtime cannot come first.
	PL_ENV=()
	if ((!PL_DRY)) && ldd "$PRELOAD" 2>/dev/null | grep -q asan; then
		PL_ENV=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	fi
	KA=$net.1
	SLA=$net.2
	lib_netns KNS k
	if ((PL_DRY)); then
		lib_netns SNS s
		ip link add slk0 netns "$KNS" type veth peer name sls0 netns "$SNS" ||
			exit 1
		ip -n "$KNS" addr add "$KA/24" dev slk0
		ip -n "$SNS" addr add "$SLA/24" dev sls0
		ip -n "$KNS" link set slk0 up
		ip -n "$SNS" link set sls0 up
		echo "# dry mode: the sockline side is the kernel in $SNS (veth)"
	else
		ip -n "$KNS" tuntap add dev $PL_TAP mode tap || exit 1
		ip -n "$KNS" addr add "$KA/24" dev $PL_TAP
		ip -n "$KNS" link set $PL_TAP up
		echo "# sockline side: $(basename "$PRELOAD") on tap:$PL_TAP ($SLA)"
	fi
}

# The command line that puts PROGRAM ARGS... on the sockline side.
pl_cmd() {
	PL_CMD=()
	if ((PL_DRY)); then
		PL_CMD=(ip netns exec "$SNS" "$@")
		return
	fi
	ip -n "$KNS" neigh flush dev $PL_TAP 2>/dev/null
	if [[ ${SL_PRELOAD_ENV:-0} == 1 ]]; then
		PL_CMD=(ip netns exec "$KNS" "${PL_ENV[@]}" env LD_PRELOAD="$PRELOAD"
			SOCKLINE_DEV="tap:$PL_TAP" SOCKLINE_ADDR="$SLA/24" "$@")
	else
		PL_CMD=(ip netns exec "$KNS" "${PL_ENV[@]}" "$SL" run --dev "tap:$PL_TAP"
			--addr "$SLA/24")
		[[ ${SL_PRELOAD_TRACE:-0} == 1 ]] && PL_CMD+=(--trace)
		PL_CMD+=(-- "$@")
	fi
}

# sl_run SECONDS ERRLOG PROGRAM ARGS...: on sockline, killed after SECONDS.
sl_run() {
	local secs=$1 err=$2
	shift 2
	pl_cmd "$@"
	timeout -k 5 "$secs" "${PL_CMD[@]}" 2>"$err"
}

# sl_bg VAR LOG PROGRAM ARGS...: on sockline in the background.
sl_bg() {
	local var=$1 log=$2 pid
	shift 2
	pl_cmd "$@"
	"${PL_CMD[@]}" >"$log.out" 2>"$log.err" &
	pid=$!
	PIDS+=("$pid")
	printf -v "$var" %s "$pid"
}

# k_run SECONDS PROGRAM ARGS...: on the kernel side, killed after SECONDS.
k_run() {
	local secs=$1
	shift
	timeout -k 5 "$secs" ip netns exec "$KNS" "$@"
}

# k_bg VAR LOG PROGRAM ARGS...: on the kernel side in the background.
k_bg() {
	local var=$1 log=$2 pid
	shift 2
	ip netns exec "$KNS" "$@" >"$log.out" 2>"$log.err" &
	pid=$!
	PIDS+=("$pid")
	printf -v "$var" %s "$pid"
}

# stop PID: SIGTERM (SIGKILL after 10 s); its status.
stop() {
	kill -TERM "$1" 2>/dev/null
	wait_exit "$1" 10
}

# alive PID: the job is still running (a server that died is a failure
# to report, not a hang to wait for).
alive() { kill -0 "$1" 2>/dev/null; }

# tail_log FILE...: the last lines of a program's logs, for a failed step.
tail_log() {
	local f
	for f; do
		[[ -s $f ]] || continue
		echo "  | $(basename "$f"):"
		tail -n "${PL_TAIL:-6}" "$f" | sed 's/^/  | /'
	done
}

# check_log NAME LOGS -- COMMAND...: check, and the logs when it fails.
check_log() {
	local name=$1 logs=()
	shift
	while [[ $1 != -- ]]; do
		logs+=("$1")
		shift
	done
	shift
	if "$@"; then
		ok "$name"
	else
		fail "$name"
		tail_log "${logs[@]}"
	fi
}

# wait_tcp PORT [SECONDS]: until the kernel side can connect to $SLA:PORT
# (the sockline side's listeners are not in the kernel's tables, so this
# probes with a connection; not for one-shot servers, which would take
# the probe for their client).
wait_tcp() {
	local i
	for ((i = 0; i < ${2:-15} * 5; i++)); do
		k_run 2 nc -z -w 1 "$SLA" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# mkfile FILE MIB: random content.
mkfile() { head -c $(($2 * 1048576)) /dev/urandom >"$1"; }

# json_get FILE EXPR: a value from a JSON file (python3 expression on d),
# "-" when it is missing or the file is not JSON.
json_get() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(eval(sys.argv[2], {"d": d}))
except Exception:
    print("-")
EOF
}

# nginx_conf DIR ADDR:PORT ROOT: DIR/nginx.conf for `nginx -p DIR -e stderr
# -c DIR/nginx.conf`. One process (master_process off): a sockline stack
# lives in its process, and a worker forked from a master would not share
# the master's stack; every path in DIR, none of the system's.
nginx_conf() {
	local d=$1 listen=$2 root=$3 t
	for t in body proxy fastcgi uwsgi scgi; do
		mkdir -p "$d/$t"
	done
	cat >"$d/nginx.conf" <<-CONF
	user root;
	daemon off;
	master_process off;
	worker_processes 1;
	error_log $d/error.log warn;
	pid $d/nginx.pid;
	events { worker_connections 1024; }
	http {
		access_log off;
		client_body_temp_path $d/body;
		proxy_temp_path $d/proxy;
		fastcgi_temp_path $d/fastcgi;
		uwsgi_temp_path $d/uwsgi;
		scgi_temp_path $d/scgi;
		default_type application/octet-stream;
		sendfile on;
		tcp_nopush on;
		keepalive_requests 1000000;
		server {
			listen $listen;
			root $root;
		}
	}
	CONF
}

# A client on the sockline side that reaches $KA would also succeed, by the
# kernel's local route, if the shim let its socket fall through to the
# kernel (the program runs in $KNS): so each such step also checks that its
# bytes crossed the link (the TAP's, or in dry mode the veth's, counters).
# mark, the step, link_delta, then: over_link MIN_BYTES COMMAND...
pl_dev() { if ((PL_DRY)); then echo slk0; else echo $PL_TAP; fi; }
link_bytes() {
	local d
	d=/sys/class/net/$(pl_dev)/statistics
	ip netns exec "$KNS" cat "$d/rx_bytes" "$d/tx_bytes" | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
mark() { PL_MARK=$(link_bytes); }
link_delta() { LINK_DELTA=$(($(link_bytes) - PL_MARK)); }
over_link() {
	local min=$1
	shift
	if ((LINK_DELTA < min)); then
		echo "  | only $LINK_DELTA bytes crossed $(pl_dev) (>= $min expected): not through sockline?"
		return 1
	fi
	"$@"
}
