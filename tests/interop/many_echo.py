#!/usr/bin/env python3
"""N concurrent TCP connections to an echo server, each sending one line.

usage: many_echo.py HOST [N [SECONDS]]  (defaults: 1000 connections, 60 s)
Prints how many connections got their own line back, whole.
Shared by cli_test.sh and interop_basic_test.sh.
"""
import selectors
import socket
import sys
import time

host = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 60
socks = []
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((host, 7))
    socks.append(s)
sel = selectors.DefaultSelector()
for i, s in enumerate(socks):
    sel.register(s, selectors.EVENT_WRITE, i)
want = {i: b"connection %d\n" % i for i in range(n)}
got = {i: b"" for i in range(n)}
done, end = 0, time.time() + secs
while done < n and time.time() < end:
    for key, ev in sel.select(1):
        i, s = key.data, key.fileobj
        if ev & selectors.EVENT_WRITE:
            s.send(want[i])
            sel.modify(s, selectors.EVENT_READ, i)
        else:
            data = s.recv(100)
            got[i] += data
            if got[i] == want[i] or not data:
                sel.unregister(s)
                done += 1
print(sum(got[i] == want[i] for i in range(n)))
for s in socks:
    s.close()
