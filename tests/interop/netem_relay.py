#!/usr/bin/env python3
"""A user-space stand-in for `tc qdisc ... netem`, for kernels built without
sch_netem (the interop tests use tc netem when the kernel has it).

It joins two links at layer 2 and impairs every frame crossing it, in both
directions, as netem does on a qdisc:
  --tap NAME      a TAP device it creates (IFF_TAP | IFF_NO_PI, no offloads:
                  the kernel hands it whole frames with full checksums); the
                  test moves it into the kernel host's namespace;
  --packet IF     an AF_PACKET socket on IF, the kernel side of sockline's
                  TAP. With PACKET_VNET_HDR, so that sockline's TSO frames
                  arrive whole with their virtio_net_hdr; they are cut into
                  the segments a NIC would send and their partial checksums
                  completed before any impairment, as netem does
                  (netem_segment, skb_checksum_help).
Impairments, each frame and direction independently (netem's meanings):
  --loss P        drop with probability P %
  --dup P         send twice with probability P %
  --corrupt P     flip one random bit of the IP packet with probability P %
  --delay MS, --jitter MS
                  hold each frame MS +- uniform(JITTER) ms; frames leave in
                  time order, so jitter reorders (netem's tfifo)
  --reorder P [--reorder-corr C]
                  with --delay: P % of frames (correlation C %) leave at
                  once, ahead of the delayed ones
  --only DIR      impair one direction only: to-kernel or to-sockline
                  (netem on one side's egress); default both
  --ip-only       impair IPv4 frames only; ARP and the rest pass untouched
                  (counted in "spared"). netem impairs ARP too, but with 10%
                  loss each way three broadcast probes all fail in 0.7% of
                  resolutions, and either stack (Linux's mcast_solicit is 3)
                  then fails connect() with EHOSTUNREACH: a test of TCP
                  under loss should not fail on that
  --stats FILE    counters per direction, written at SIGTERM/SIGINT
It prints "relay: ready" on stdout when both links are open.
"""
import argparse
import array
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_IGNORE_OUTGOING = 23
ETH_P_ALL = 0x0003
VNET_HDR = struct.Struct("<BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_F_NEEDS_CSUM = 1
VNET_GSO_TCPV4 = 1
VNET_GSO_ECN = 0x80
ZERO_VNET = bytes(VNET_HDR.size)


def csum(data, start=0):
    """RFC 1071 sum of data, not inverted (folded to 16 bits)."""
    if len(data) & 1:
        data = data + b"\0"
    s = sum(array.array("H", data)) + start
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def put_csum(buf, off, s):
    """Store the inverted sum s (host-order sum of native 16-bit words)."""
    struct.pack_into("=H", buf, off, ~s & 0xFFFF)


def complete_csum(frame, start, off):
    """Finish a partial checksum: the field holds the pseudo-header sum."""
    buf = bytearray(frame)
    s = csum(bytes(buf[start:]))
    v = ~s & 0xFFFF
    if v == 0 and off == 6:  # UDP sends a computed 0 as 0xffff
        v = 0xFFFF
    struct.pack_into("=H", buf, start + off, v)
    return bytes(buf)


def segment_tcp4(frame, mss):
    """Cut an IPv4 TCP GSO frame into the segments TSO would send."""
    ihl = (frame[14] & 0xF) * 4
    th = 14 + ihl
    doff = (frame[th + 12] >> 4) * 4
    hlen = th + doff
    ipid = struct.unpack_from("!H", frame, 18)[0]
    seq = struct.unpack_from("!I", frame, th + 4)[0]
    flags = frame[th + 13]
    src_dst = frame[26:34]
    out = []
    off, i = hlen, 0
    while off < len(frame):
        n = min(mss, len(frame) - off)
        seg = bytearray(frame[:hlen] + frame[off:off + n])
        struct.pack_into("!HH", seg, 16, hlen - 14 + n, (ipid + i) & 0xFFFF)
        struct.pack_into("=H", seg, 24, 0)
        put_csum(seg, 24, csum(bytes(seg[14:th])))
        struct.pack_into("!I", seg, th + 4, (seq + off - hlen) & 0xFFFFFFFF)
        f = flags
        if off + n < len(frame):
            f &= ~0x09  # FIN, PSH: last segment only
        if i:
            f &= ~0x80  # CWR: first segment only
        seg[th + 13] = f
        struct.pack_into("=H", seg, th + 16, 0)
        pseudo = src_dst + struct.pack("!BBH", 0, 6, doff + n)
        put_csum(seg, th + 16, csum(bytes(seg[th:]), csum(pseudo)))
        out.append(bytes(seg))
        off += n
        i += 1
    return out


def from_vnet(data):
    """Frames on the wire for one read from a PACKET_VNET_HDR socket."""
    flags, gso_type, _, gso_size, cstart, coff = VNET_HDR.unpack_from(data)
    frame = data[VNET_HDR.size:]
    if gso_type & ~VNET_GSO_ECN == VNET_GSO_TCPV4 and gso_size:
        return segment_tcp4(frame, gso_size)
    if flags & VNET_F_NEEDS_CSUM:
        frame = complete_csum(frame, cstart, coff)
    return [frame]


class Direction:
    def __init__(self, name, send):
        self.name = name
        self.send = send
        self.impaired = True
        self.c = dict(frames=0, sent=0, lost=0, duplicated=0, corrupted=0,
                      reordered=0, spared=0, send_errors=0)


class Relay:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.heap = []
        self.seq = 0
        self.last_reorder = 0.0
        self.running = True

    def crandom(self):
        """netem's correlated random for reordering, in [0, 1)."""
        rho = self.a.reorder_corr / 100.0
        v = (1 - rho) * self.rng.random() + rho * self.last_reorder
        self.last_reorder = v
        return v

    def impair(self, d, frame, now):
        a, rng = self.a, self.rng
        d.c["frames"] += 1
        if not d.impaired:
            self.out(d, frame)
            return
        if a.ip_only and frame[12:14] != b"\x08\x00":
            d.c["spared"] += 1
            self.out(d, frame)
            return
        if a.loss and rng.random() * 100 < a.loss:
            d.c["lost"] += 1
            return
        copies = 1
        if a.dup and rng.random() * 100 < a.dup:
            copies = 2
            d.c["duplicated"] += 1
        for _ in range(copies):
            f = frame
            if a.corrupt and len(f) > 14 and rng.random() * 100 < a.corrupt:
                b = bytearray(f)
                b[rng.randrange(14, len(b))] ^= 1 << rng.randrange(8)
                f = bytes(b)
                d.c["corrupted"] += 1
            delay = a.delay
            if a.jitter:
                delay += rng.uniform(-a.jitter, a.jitter)
            if a.reorder and self.crandom() * 100 < a.reorder:
                delay = 0
                d.c["reordered"] += 1
            if delay <= 0:
                self.out(d, f)
            else:
                self.seq += 1
                heapq.heappush(self.heap, (now + max(delay, 0) / 1000.0,
                                           self.seq, d, f))

    def out(self, d, f):
        try:
            d.send(f)
            d.c["sent"] += 1
        except OSError:
            d.c["send_errors"] += 1

    def run(self):
        a = self.a
        tap = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(tap, TUNSETIFF,
                    struct.pack("16sH", a.tap.encode(), IFF_TAP | IFF_NO_PI))
        ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                           socket.htons(ETH_P_ALL))
        ps.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        ps.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        for opt in (33, 32):  # SO_RCVBUFFORCE, SO_SNDBUFFORCE
            try:
                ps.setsockopt(socket.SOL_SOCKET, opt, 16 << 20)
            except OSError:
                pass
        ps.bind((a.packet, ETH_P_ALL))
        ps.setblocking(False)
        # to_sl: from the kernel's TAP to sockline; to_kernel: the reverse.
        to_sl = Direction("kernel->sockline",
                          lambda f: ps.send(ZERO_VNET + f))
        to_kernel = Direction("sockline->kernel", lambda f: os.write(tap, f))
        self.dirs = (to_kernel, to_sl)
        if a.only == "to-kernel":
            to_sl.impaired = False
        elif a.only == "to-sockline":
            to_kernel.impaired = False
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self.stop)
        print("relay: ready", flush=True)
        poll = select.poll()
        poll.register(tap, select.POLLIN)
        poll.register(ps.fileno(), select.POLLIN)
        while self.running:
            now = time.monotonic()
            while self.heap and self.heap[0][0] <= now:
                _, _, d, f = heapq.heappop(self.heap)
                self.out(d, f)
            timeout = None
            if self.heap:
                timeout = max(0.0, (self.heap[0][0] - now) * 1000.0)
            try:
                ready = poll.poll(timeout if timeout is not None else 500)
            except InterruptedError:
                continue
            now = time.monotonic()
            for fd, _ in ready:
                for _ in range(64):
                    try:
                        if fd == tap:
                            frames = [os.read(tap, 65536)]
                            d = to_sl
                        else:
                            frames = from_vnet(ps.recv(65536 + 64))
                            d = to_kernel
                    except BlockingIOError:
                        break
                    for f in frames:
                        self.impair(d, f, now)
        self.write_stats()

    def stop(self, *_):
        self.running = False

    def write_stats(self):
        if not self.a.stats:
            return
        with open(self.a.stats, "w") as f:
            for d in self.dirs:
                f.write("%s %s\n" % (d.name, " ".join(
                    "%s=%d" % kv for kv in d.c.items())))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tap", required=True)
    p.add_argument("--packet", required=True)
    for o in ("loss", "dup", "corrupt", "delay", "jitter", "reorder",
              "reorder-corr"):
        p.add_argument("--" + o, type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--only", choices=("to-kernel", "to-sockline"))
    p.add_argument("--ip-only", action="store_true")
    p.add_argument("--stats")
    a = p.parse_args()
    if a.reorder and not a.delay:
        p.error("--reorder needs --delay (as netem)")
    Relay(a).run()


if __name__ == "__main__":
    sys.exit(main())
