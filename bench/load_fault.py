"""Load and fault test of the service under its own gunicorn configuration (loopback only).

    make load-test        (about 2 minutes, bounded)

1. Sustained load: wrk, 16 connections, POST /v1/effective-resources: no failed request.
2. A worker killed with SIGKILL mid-load: gunicorn replaces it; a prober sending one request
   every 20 ms records what failed and when; after the kill everything must answer.
3. A long run: each worker's RSS sampled while under load; it must not grow.

Exits non-zero if any of these fails, and prints its figures.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from bench.load import wrk
from bench.manifests import TYPICAL_POD
from bench.servers import gunicorn, rss_mb, worker_pids

BODY = json.dumps(TYPICAL_POD).encode()


def prober(url: str, stop: threading.Event, log: list[tuple[float, bool]]) -> None:
    """One request every 20 ms; (time, succeeded) for each."""
    while not stop.is_set():
        ok = False
        try:
            request = urllib.request.Request(url, data=BODY, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                ok = response.status == 200
        except (urllib.error.URLError, OSError):
            ok = False
        log.append((time.monotonic(), ok))
        time.sleep(0.02)


def main() -> int:
    seconds = int(os.environ.get("LOAD_SECONDS", "20"))
    failures: list[str] = []
    with gunicorn("api.wsgi:app") as (url, master, _):
        endpoint = url + "/v1/effective-resources"
        body = json.dumps(TYPICAL_POD)

        print(f"1. sustained load, {seconds} s", flush=True)
        result = wrk(endpoint, body, seconds)  # raises on any failed request
        print(f"   {result.rate:,.0f} req/s, p50 {result.p50:.1f} ms, p99 {result.p99:.1f} ms, no failed request")

        print("2. SIGKILL one worker under load", flush=True)
        log: list[tuple[float, bool]] = []
        stop = threading.Event()
        probe = threading.Thread(target=prober, args=(endpoint, stop, log))
        probe.start()
        load = subprocess.Popen(
            ["wrk", "-t2", "-c16", f"-d{seconds}s", url + "/healthz"], stdout=subprocess.PIPE, text=True
        )
        time.sleep(seconds / 3)
        before = sorted(worker_pids(master.pid))  # workers recycle (max_requests): read them now
        victim = before[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        replaced_at = None
        while time.monotonic() - killed_at < 30:
            now = sorted(worker_pids(master.pid))
            if len(now) == len(before) and victim not in now:
                replaced_at = time.monotonic()
                break
            time.sleep(0.05)
        load.communicate(timeout=seconds + 30)
        stop.set()
        probe.join()
        after_kill = [ok for t, ok in log if replaced_at is not None and t > replaced_at + 1]
        failed = [t - killed_at for t, ok in log if not ok]
        if replaced_at is None:
            failures.append("the killed worker was not replaced within 30 s")
        else:
            print(f"   worker {victim} replaced in {replaced_at - killed_at:.2f} s")
        print(f"   prober: {len(log)} requests, {len(failed)} failed", end="")
        print(f" (at {', '.join(f'{t:+.2f} s' for t in failed)} from the kill)" if failed else "")
        if not after_kill or not all(after_kill):
            failures.append("requests failed after the worker was replaced")
        else:
            print(f"   all {len(after_kill)} requests after the replacement answered 200")

    # Workers recycle after max_requests: measure growth with recycling off, or it hides it.
    with gunicorn("api.wsgi:app", {"PODCALC_MAX_REQUESTS": "0"}) as (url, master, _):
        endpoint = url + "/v1/effective-resources"
        print(f"3. memory over a long run ({3 * seconds} s under load, worker recycling off)", flush=True)
        workers = worker_pids(master.pid)  # gunicorn() has waited for both to be up and idle
        samples: dict[int, list[float]] = {pid: [rss_mb(pid)] for pid in workers}
        for _ in range(3):
            wrk(endpoint, body, seconds)
            for pid in workers:
                samples[pid].append(rss_mb(pid))
        for pid, series in samples.items():
            growth = series[-1] - series[1]
            trend = " -> ".join(f"{m:.0f}" for m in series)
            print(f"   worker {pid}: {trend} MB ({growth:+.1f} MB after warm-up)")
            if growth > 5:
                failures.append(f"worker {pid} grew by {growth:.1f} MB")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
