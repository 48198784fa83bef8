#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# A stand-in for systemd's side of sd_notify(3): bind SOCKET (AF_UNIX, datagram), write each
# message to OUT as "MS<TAB>FIELD|FIELD..." (ms since start), flushed. On the first READY=1 it
# runs CHECK (a shell command) at once and writes "check<TAB>RC", so a test can see what held
# at the moment the daemon said ready. Exits after STOPPING=1 (and a short drain) or LIMIT s.
import os
import socket
import subprocess
import sys
import time

sock_path, out_path, check, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
t0 = time.monotonic()
ready_seen = False
stop_at = t0 + limit
with open(out_path, "w") as out:
    while time.monotonic() < stop_at:
        s.settimeout(max(0.05, stop_at - time.monotonic()))
        try:
            msg = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            break
        fields = [f for f in msg.split("\n") if f]
        out.write("%d\t%s\n" % ((time.monotonic() - t0) * 1000, "|".join(fields)))
        out.flush()
        if "READY=1" in fields and not ready_seen:
            ready_seen = True
            rc = subprocess.call(check, shell=True)
            out.write("check\t%d\n" % rc)
            out.flush()
        if "STOPPING=1" in fields:
            stop_at = min(stop_at, time.monotonic() + 1.0)
os.unlink(sock_path)
