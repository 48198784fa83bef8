#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Poll API URLs while something else goes on, and say how the answers went.

api_watch.py SECONDS URL [URL...] [--every S] [--stop FILE] [--ready FILE]
GETs each URL in turn every S seconds (default 0.05) for SECONDS, or until the stop FILE
exists; creates the ready FILE once it is about to start (a loaded machine may take seconds to
start python). Prints
one JSON line per URL: requests, HTTP statuses seen, failures (no answer within 2 s), and the
answer times in ms (max, p99, median).
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request


def get(url):
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        e.read()
        code = e.code
    except OSError:
        return None, None
    return code, (time.monotonic() - t0) * 1000


def main():
    args = sys.argv[1:]
    secs = float(args.pop(0))
    every, stop, ready, urls = 0.05, None, None, []
    while args:
        a = args.pop(0)
        if a == "--every":
            every = float(args.pop(0))
        elif a == "--stop":
            stop = args.pop(0)
        elif a == "--ready":
            ready = args.pop(0)
        else:
            urls.append(a)
    seen = {u: {"codes": {}, "failed": 0, "ms": []} for u in urls}
    until = time.monotonic() + secs
    if ready:
        open(ready, "w").close()
    while time.monotonic() < until and not (stop and os.path.exists(stop)):
        for u in urls:
            code, ms = get(u)
            s = seen[u]
            if code is None:
                s["failed"] += 1
                continue
            s["codes"][str(code)] = s["codes"].get(str(code), 0) + 1
            s["ms"].append(ms)
        time.sleep(every)
    for u in urls:
        s = seen[u]
        ms = sorted(s["ms"])
        n = len(ms)
        print(json.dumps({"url": u, "requests": n + s["failed"], "codes": s["codes"],
                          "failed": s["failed"],
                          "max_ms": round(ms[-1], 1) if n else None,
                          "p99_ms": round(ms[min(n - 1, int(n * 0.99))], 1) if n else None,
                          "median_ms": round(ms[n // 2], 1) if n else None}))


main()
