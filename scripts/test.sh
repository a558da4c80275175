#!/usr/bin/env bash
# Build sockline and pass every test, on a fresh Debian machine (as root).
#   1. installs the Debian packages the tests need, when missing;
#   2. gcc build (-Werror) and the whole suite under CTest;
#   3. clang build with AddressSanitizer + UndefinedBehaviorSanitizer (leak
#      checking on) and the whole suite again;
#   4. the libFuzzer targets, each for a bounded time;
#   5. the demo, as a smoke test of the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

need=()
for pkg in cmake make gcc clang libclang-rt-14-dev libcmocka-dev pkg-config \
	   tshark tcpdump iproute2 iputils-ping socat curl iperf3 ethtool \
	   python3 liblwip-dev nginx wrk redis-server redis-tools openssh-server \
	   openssh-client wget netcat-openbsd; do
	dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
	echo "== installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== gcc build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"

echo "== clang build with ASan + UBSan, tests again"
CC=clang cmake -S . -B build-asan -DSL_SANITIZE=ON -DSL_BENCH=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
# SL_MILLION: tcp_million_test holds 200,000 connections under ASan, not
# a million (its allocator's redzones; the test reads it only there).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	SL_MILLION=200000 ctest --test-dir build-asan --output-on-failure -j"$JOBS"

echo "== fuzzing the receive path (${FUZZ_SECONDS}s per target)"
CC=clang cmake -S . -B build-fuzz -DSL_FUZZ=ON -DSL_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$JOBS"
for target in build-fuzz/fuzz/fuzz_*; do
	name=$(basename "$target")
	corpus=$(mktemp -d)
	cp fuzz/corpus/"${name#fuzz_}"/* "$corpus"/ 2>/dev/null || true
	"$target" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 "$corpus" \
		2>&1 | tail -n 3
	rm -rf "$corpus"
done

echo "== demo"
./build/sockline demo --count 3 --udp 200 >/dev/null
echo "all tests passed"
