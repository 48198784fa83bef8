#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A long-lived TCP flow for namespace tests: connect to HOST:PORT (a probe_responder --echo
socket behind a VIP), send a numbered line every INTERVAL seconds and read the reply, which
names the backend. Runs until STOPFILE exists or MAX seconds pass, then prints one JSON line:
{"sent": N, "answered": N, "backends": [...], "errors": [...]} and exits 0 if every line was
answered by one backend with no error. STOPFILE.up is created once the first line is answered,
so a test can wait for the flow to be established before it changes anything."""
import json
import os
import socket
import sys
import time


def main():
    host, port, stopfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    max_s = float(sys.argv[5]) if len(sys.argv) > 5 else 120
    sent = answered = 0
    backends, errors = [], []
    end = time.monotonic() + max_s
    try:
        s = socket.create_connection((host, port), timeout=3)
        s.settimeout(3)
        buf = b""
        while time.monotonic() < end and not os.path.exists(stopfile):
            sent += 1
            s.sendall(b"line %d\n" % sent)
            while b"\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    raise ConnectionError("connection closed by peer")
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            name, _, rest = line.decode().partition(" ")
            if rest != "line %d" % sent:
                errors.append("reply %r to line %d" % (line.decode(), sent))
            answered += 1
            if answered == 1:
                open(stopfile + ".up", "w").close()
            if name not in backends:
                backends.append(name)
            time.sleep(interval)
        s.close()
    except (OSError, ConnectionError) as e:
        errors.append("%s after %d lines" % (e, answered))
    print(json.dumps({"sent": sent, "answered": answered, "backends": backends,
                      "errors": errors}), flush=True)
    return 0 if not errors and len(backends) == 1 and answered == sent else 1


if __name__ == "__main__":
    sys.exit(main())
