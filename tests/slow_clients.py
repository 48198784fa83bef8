#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Slow clients against anyedged's API, and a health probe through them.

slow_clients.py HOST PORT [--conns N] [--seconds S] [--gap G]
N connections each send a request line, then one header line every G seconds, never ending
the request (the classic slow-headers attack); meanwhile GET /health/shallow is sent every
0.5 s on a fresh connection. Prints one JSON line: probes sent, answered 200, and the slowest
answer in ms (a probe not answered within 3 s counts as not answered).
"""
import json
import socket
import sys
import threading
import time


def slow(host, port, gap, until, opened):
    while time.monotonic() < until:
        try:
            s = socket.create_connection((host, port), timeout=3)
            s.sendall(b"GET /health/shallow HTTP/1.1\r\nHost: x\r\n")
            opened[0] += 1
            i = 0
            while time.monotonic() < until:
                time.sleep(gap)
                s.sendall(b"X-Slow-%d: 1\r\n" % i)
                i += 1
        except OSError:
            time.sleep(0.2)  # cut: come back, as an attacker would


def probe(host, port):
    t0 = time.monotonic()
    try:
        s = socket.create_connection((host, port), timeout=3)
        s.settimeout(3)
        s.sendall(b"GET /health/shallow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = s.recv(64)
        s.close()
    except OSError:
        return None
    if not data.startswith(b"HTTP/1.1 200"):
        return None
    return (time.monotonic() - t0) * 1000


def main():
    a = sys.argv[1:]
    host, port = a[0], int(a[1])
    opt = dict(zip(a[2::2], a[3::2]))
    n = int(opt.get("--conns", 100))
    secs = float(opt.get("--seconds", 15))
    gap = float(opt.get("--gap", 4))
    until = time.monotonic() + secs
    opened = [0]
    for _ in range(n):
        threading.Thread(target=slow, args=(host, port, gap, until, opened), daemon=True).start()
    time.sleep(1)  # let them connect
    lat = []
    sent = 0
    while time.monotonic() < until - 0.5:
        sent += 1
        ms = probe(host, port)
        if ms is not None:
            lat.append(ms)
        time.sleep(0.5)
    print(json.dumps({"conns": n, "opened": opened[0], "probes": sent, "ok": len(lat),
                      "max_ms": round(max(lat), 1) if lat else None}))


main()
