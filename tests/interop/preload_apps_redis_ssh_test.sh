#!/bin/bash
# redis and ssh on sockline (LD_PRELOAD, `sockline run`), the kernel's stack
# on the other side of a TAP (issue 5's acceptance tests):
#   1. redis-server on sockline; redis-cli and redis-benchmark from the
#      kernel (100,000 requests of each test, 50 connections; again with
#      16-deep pipelining): every test completes its count;
#   2. ssh on sockline logs into an sshd on the kernel side with a key and
#      runs a command; 8 MiB up and 8 MiB down through ssh (SHA-256); scp,
#      which execs ssh (the stack starts in the exec'd ssh, not in scp).
# Usage: preload_apps_redis_ssh_test.sh BUILD_DIR (root). SL_PRELOAD_DRY=1:
# the tests' logic without the shim (see preload_lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/preload_lib.sh"

pl_init preload_apps_redis_ssh "${1:-}" 10.243.0 redis-server redis-cli \
	redis-benchmark ssh scp ssh-keygen /usr/sbin/sshd nc
N=${SL_REDIS_N:-100000}

# --- 1. redis-server on sockline ----------------------------------------------
mkdir -p "$TMP/redis"
sl_bg RS "$TMP/redis/log" redis-server --port 6379 --bind "$SLA" \
	--protected-mode no --save '' --appendonly no --daemonize no \
	--dir "$TMP/redis" --logfile ''
if wait_for "$TMP/redis/log.out" "Ready to accept connections" 15 && wait_tcp 6379; then
	ok "redis-server on sockline: ready"
	RCLI=(-h "$SLA" -p 6379)
	out=$(k_run 10 redis-cli "${RCLI[@]}" ping)
	check "redis-cli from the kernel: PING -> $out" test "$out" = PONG
	k_run 10 redis-cli "${RCLI[@]}" set sockline:key "value over sockline" >/dev/null
	out=$(k_run 10 redis-cli "${RCLI[@]}" get sockline:key)
	check "redis-cli from the kernel: SET then GET" test "$out" = "value over sockline"

	tests=ping_inline,ping_mbulk,set,get,incr,lpush,lpop,mset
	ntests=$(tr , '\n' <<<"$tests" | wc -l)
	for pipe in 1 16; do
		k_run 60 redis-benchmark "${RCLI[@]}" -n "$N" -c 50 -P $pipe -t "$tests" \
			>"$TMP/bench-$pipe.out" 2>&1
		st=$?
		done=$(tr '\r' '\n' <"$TMP/bench-$pipe.out" | grep -c "^ *$N requests completed in")
		rps=$(tr '\r' '\n' <"$TMP/bench-$pipe.out" | awk '/====== SET/ { f = 1 } f && /^ *throughput summary:/ { print $3; exit }')
		check_log "redis-benchmark from the kernel, -P $pipe: $done of $ntests tests completed $N requests (SET ${rps:-?} req/s, status $st)" \
			"$TMP/bench-$pipe.out" "$TMP/redis/log.out" "$TMP/redis/log.err" -- \
			test "$st:$done" = "0:$ntests"
	done
	# The benchmark's keys (key:..., counter:...) and ours.
	out=$(k_run 10 redis-cli "${RCLI[@]}" dbsize)
	check "redis-cli from the kernel: the benchmark's keys are there (DBSIZE $out)" \
		test "${out:-0}" -ge 3
	check_log "redis-server on sockline: still running" "$TMP/redis/log.out" \
		"$TMP/redis/log.err" -- alive "$RS"
else
	fail "redis-server on sockline: not ready"
	tail_log "$TMP/redis/log.out" "$TMP/redis/log.err"
fi
stop "$RS" >/dev/null

# --- 2. ssh on sockline into sshd on the kernel side ---------------------------
D=$TMP/ssh
mkdir -p "$D" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$D/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$D/id_ed25519"
cp "$D/id_ed25519.pub" "$D/authorized_keys"
cat >"$D/sshd_config" <<EOF
Port 2222
ListenAddress $KA
HostKey $D/host_ed25519
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
LogLevel VERBOSE
EOF
k_bg SSHD "$D/sshd" /usr/sbin/sshd -D -e -f "$D/sshd_config"
SSHO=(-F /dev/null -i "$D/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=15 -o LogLevel=ERROR)
if wait_port "$KNS" 2222; then
	mark
	out=$(sl_run 60 "$D/ssh1.err" ssh "${SSHO[@]}" -p 2222 "root@$KA" \
		'echo "sockline-ssh $((6 * 7))"; uname -s' | tr '\n' ' ')
	link_delta
	check_log "ssh on sockline: key login, command output '$out'" \
		"$D/ssh1.err" "$D/sshd.err" -- over_link 2000 test "$out" = "sockline-ssh 42 Linux "

	mkfile "$D/up.bin" 8
	mkfile "$D/down.bin" 8
	mark
	sl_run 60 "$D/ssh2.err" ssh "${SSHO[@]}" -p 2222 "root@$KA" \
		"cat > '$D/up.got'" <"$D/up.bin"
	rc=$?
	link_delta
	check_log "ssh on sockline: 8 MiB up, SHA-256 equal (status $rc)" \
		"$D/ssh2.err" "$D/sshd.err" -- over_link $((8 << 20)) ok_sha $rc "$D/up.got" "$D/up.bin"
	mark
	sl_run 60 "$D/ssh3.err" ssh "${SSHO[@]}" -p 2222 "root@$KA" \
		"cat '$D/down.bin'" >"$D/down.got"
	rc=$?
	link_delta
	check_log "ssh on sockline: 8 MiB down, SHA-256 equal (status $rc)" \
		"$D/ssh3.err" "$D/sshd.err" -- over_link $((8 << 20)) ok_sha $rc "$D/down.got" "$D/down.bin"
	mark
	sl_run 60 "$D/scp.err" scp "${SSHO[@]}" -P 2222 "$D/up.bin" "root@$KA:$D/scp.got"
	rc=$?
	link_delta
	check_log "scp on sockline (execs ssh): 8 MiB up, SHA-256 equal (status $rc)" \
		"$D/scp.err" "$D/sshd.err" -- over_link $((8 << 20)) ok_sha $rc "$D/scp.got" "$D/up.bin"
else
	fail "sshd on the kernel side did not start"
	tail_log "$D/sshd.err"
fi
stop "$SSHD" >/dev/null

lib_finish
