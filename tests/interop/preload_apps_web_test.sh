#!/bin/bash
# Unmodified web programs on sockline (LD_PRELOAD, `sockline run`), the
# kernel's stack on the other side of a TAP (issue 5's acceptance tests):
#   1. curl on sockline downloads 64 MiB from nginx on the kernel (SHA-256),
#      then 100 requests over one keep-alive connection;
#   2. wget on sockline downloads the same 64 MiB (SHA-256);
#   3. python3's http.server on sockline (bound to [::], dual-stack,
#      reached over IPv4), curl from the kernel: 64 MiB, 404;
#   4. nginx on sockline (one process, sendfile on), curl from the kernel
#      (64 MiB) and wrk for 10 s with 50 connections: no socket error, no
#      answer other than 2xx/3xx.
# Usage: preload_apps_web_test.sh BUILD_DIR (root). SL_PRELOAD_DRY=1: the
# tests' logic without the shim (see preload_lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/preload_lib.sh"

pl_init preload_apps_web "${1:-}" 10.241.0 curl wget nginx wrk nc /usr/bin/python3
WRK_SECS=${SL_WRK_SECS:-10}

W=$TMP/www
mkdir -p "$W"
mkfile "$W/big.bin" 64
head -c 1024 /dev/urandom >"$W/1k.bin"
echo "small answer" >"$W/small.txt"
echo "hello from the web test" >"$W/index.html"

# The kernel's server for the clients on sockline.
mkdir -p "$TMP/kngx"
nginx_conf "$TMP/kngx" "$KA:8080" "$W"
k_bg KNGX "$TMP/kngx/log" nginx -p "$TMP/kngx" -e stderr -c "$TMP/kngx/nginx.conf"
wait_port "$KNS" 8080 || { fail "kernel nginx did not start"; tail_log "$TMP/kngx/log.err"; lib_finish; }

# --- 1. curl on sockline -------------------------------------------------------
mark
sl_run 60 "$TMP/curl.err" curl -sS -o "$TMP/curl.bin" "http://$KA:8080/big.bin"
rc=$?
link_delta
check_log "curl on sockline: 64 MiB from the kernel, SHA-256 equal (status $rc)" \
	"$TMP/curl.err" -- over_link $((64 << 20)) ok_sha $rc "$TMP/curl.bin" "$W/big.bin"

mkdir -p "$TMP/ka"
mark
sl_run 60 "$TMP/ka.err" curl -sS -o "$TMP/ka/#1" -w '%{num_connects} %{http_code}\n' \
	"http://$KA:8080/small.txt?n=[1-100]" >"$TMP/ka.out"
rc=$?
link_delta
conns=$(awk '{ s += $1 } END { print s + 0 }' "$TMP/ka.out")
n200=$(grep -c ' 200$' "$TMP/ka.out")
nsame=0
for f in "$TMP"/ka/*; do
	same "$f" "$W/small.txt" && nsame=$((nsame + 1))
done
check_log "curl on sockline: keep-alive, 100 requests ($n200 x 200, $nsame bodies right, $conns connection(s))" \
	"$TMP/ka.err" -- over_link $((100 * 100)) test "$rc:$n200:$nsame:$conns" = "0:100:100:1"

# --- 2. wget on sockline ------------------------------------------------------
mark
sl_run 60 "$TMP/wget.err" wget -q -O "$TMP/wget.bin" "http://$KA:8080/big.bin"
rc=$?
link_delta
check_log "wget on sockline: 64 MiB from the kernel, SHA-256 equal (status $rc)" \
	"$TMP/wget.err" -- over_link $((64 << 20)) ok_sha $rc "$TMP/wget.bin" "$W/big.bin"
stop "$KNGX"

# --- 3. python3 http.server on sockline ---------------------------------------
# --bind ::, http.server's DualStackServer: an AF_INET6 socket bound to [::]
# with IPV6_V6ONLY off, the case of servers that serve IPv4 that way.
sl_bg PY "$TMP/py" /usr/bin/python3 -u -m http.server -b :: -d "$W" 8000
if wait_for "$TMP/py.out" "^Serving HTTP on" 15 && wait_tcp 8000; then
	ok "python3 http.server on sockline: listening on [::], reached over IPv4"
	k_run 60 curl -sS -o "$TMP/py.bin" "http://$SLA:8000/big.bin" 2>"$TMP/pycurl.err"
	rc=$?
	check_log "python3 http.server on sockline: kernel curl gets 64 MiB, SHA-256 equal (status $rc)" \
		"$TMP/pycurl.err" "$TMP/py.err" -- ok_sha $rc "$TMP/py.bin" "$W/big.bin"
	out=$(k_run 20 curl -sS "http://$SLA:8000/index.html")
	check "python3 http.server on sockline: index.html" \
		test "$out" = "hello from the web test"
	code=$(k_run 20 curl -s -o /dev/null -w '%{http_code}' "http://$SLA:8000/nope")
	check "python3 http.server on sockline: 404 ($code)" test "$code" = 404
	check_log "python3 http.server on sockline: still running" "$TMP/py.err" -- alive "$PY"
else
	fail "python3 http.server on sockline: not listening"
	tail_log "$TMP/py.out" "$TMP/py.err"
fi
stop "$PY"

# --- 4. nginx on sockline, curl and wrk from the kernel -----------------------
mkdir -p "$TMP/ngx"
nginx_conf "$TMP/ngx" "$SLA:80" "$W"
sl_bg NGX "$TMP/ngx/log" nginx -p "$TMP/ngx" -e stderr -c "$TMP/ngx/nginx.conf"
if wait_tcp 80; then
	ok "nginx on sockline: listening"
	k_run 60 curl -sS -o "$TMP/ngx.bin" "http://$SLA/big.bin" 2>"$TMP/ngxcurl.err"
	rc=$?
	check_log "nginx on sockline: kernel curl gets 64 MiB (sendfile), SHA-256 equal (status $rc)" \
		"$TMP/ngxcurl.err" "$TMP/ngx/error.log" -- ok_sha $rc "$TMP/ngx.bin" "$W/big.bin"
	k_run $((WRK_SECS + 30)) wrk -t2 -c50 -d"${WRK_SECS}s" --latency "http://$SLA/1k.bin" \
		>"$TMP/wrk.out" 2>&1
	rc=$?
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
	nreq=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
	check_log "wrk on nginx on sockline: ${WRK_SECS} s, $nreq requests, ${rps:-?} req/s (status $rc)" \
		"$TMP/wrk.out" -- test "$rc" = 0 -a "${nreq:-0}" -gt 0
	check_log "wrk on nginx on sockline: no socket error" "$TMP/wrk.out" -- \
		bash -c "! grep -q 'Socket errors' '$TMP/wrk.out'"
	check_log "wrk on nginx on sockline: every answer 2xx or 3xx" "$TMP/wrk.out" -- \
		bash -c "! grep -q 'Non-2xx or 3xx' '$TMP/wrk.out'"
	check_log "nginx on sockline: still running, no error logged" \
		"$TMP/ngx/log.err" "$TMP/ngx/error.log" -- \
		bash -c "kill -0 $NGX && ! grep -qE '\[(alert|crit|emerg|error)\]' '$TMP/ngx/error.log' 2>/dev/null"
else
	fail "nginx on sockline: not listening"
	tail_log "$TMP/ngx/log.out" "$TMP/ngx/log.err" "$TMP/ngx/error.log"
fi
stop "$NGX"

lib_finish
