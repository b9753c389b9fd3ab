"""Where an HTTP request's time goes: both servers of the HTTP benchmark, side by side.

    make profile          (installs wrk and py-spy if missing; about 80 s)

Each server runs under the project's gunicorn configuration (2 workers) and the load of
the HTTP benchmark (wrk, 16 connections, on loopback), while py-spy samples every worker.
py-spy records only the thread holding the GIL (``--gil``): the Python work of a request,
not its waits. A sample counts in the group of its innermost frame that belongs to a
group; the standard library's frames count in their caller's (``email.utils`` formats
gunicorn's Date header, ``json`` decodes podcalc's body). Each group's samples are turned
into microseconds of a request: samples / rate / requests answered.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import BIN, TYPICAL_POD, cpu_seconds, gunicorn, worker_pids, wrk

RATE = 250  # samples a second per worker

# (group, what it holds, path fragments); the first group whose fragment is in a frame's
# file wins, and a stack with no grouped frame counts as the server's (its thread pool).
GROUPS = (
    ("calc", "calc/: the calculation", ("/calc/",)),
    ("access log", "access log: one JSON line a request", ("/api/gunicorn_logging.py",)),
    ("observability", "request id, security headers, metrics", ("/api/observability.py", "/prometheus_client/")),
    ("endpoint", "the endpoint: body, reading, response body (bare: its view)", ("/api/", "/bench/hello.py")),
    ("framework", "Flask and werkzeug: routing, request and response objects", ("/flask/", "/werkzeug/")),
    ("server", "gunicorn: HTTP parsing, sockets, worker threads", ("/gunicorn/",)),
)
_FRAME_FILE = re.compile(r"\(([^()]*?)(?::\d+)?\)$")


def group_of(stack: list[str]) -> str:
    """The group of a sampled stack (root first): that of its innermost grouped frame."""
    for frame in reversed(stack):
        m = _FRAME_FILE.search(frame)
        path = "/" + m.group(1) if m else ""  # py-spy prints paths from the package: api/views.py
        for name, _, fragments in GROUPS:
            if any(f in path for f in fragments):
                return name
    return "server"


def tally(lines: list[str]) -> collections.Counter[str]:
    """Samples per group, from py-spy's raw output (``frame;frame;... count`` a line)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in lines:
        stack, _, n = line.rstrip().rpartition(" ")
        if stack:
            counts[group_of(stack.split(";"))] += int(n)
    return counts


def sample(app: str, path: str, body: str | None, seconds: int) -> tuple[collections.Counter[str], int, float]:
    """``app`` under wrk, every worker sampled: samples per group, requests answered, and
    the workers' CPU time per request (us)."""
    record = [str(BIN / "py-spy"), "record", "--gil", "--nonblocking", "-r", str(RATE), "-d", str(seconds), "-f", "raw"]
    with gunicorn(app) as (url, process, _), tempfile.TemporaryDirectory() as out:
        workers = worker_pids(process.pid)
        before = sum(cpu_seconds(w) for w in workers)
        spies = [
            subprocess.Popen(
                [*record, "-o", f"{out}/{pid}.txt", "-p", str(pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in workers
        ]
        answered = wrk(url + path, body, seconds)[3]
        cpu = sum(cpu_seconds(w) for w in workers) - before
        for spy in spies:
            if spy.wait(timeout=30) != 0:
                raise RuntimeError("py-spy failed: it needs ptrace (root, or CAP_SYS_PTRACE)")
        # one stack a line: split on newlines only, as a frame's text may hold other line breaks
        lines = [line for f in Path(out).iterdir() for line in f.read_text().split("\n")]
    return tally(lines), answered, cpu / answered * 1e6


def main() -> int:
    seconds, rounds = int(os.environ.get("BENCH_SECONDS", "10")), 3
    cases = {
        "podcalc": ("api.wsgi:app", "/v1/effective-resources", json.dumps(TYPICAL_POD)),
        "bare": ("bench.hello:app", "/hello", None),
    }
    counts = {name: collections.Counter[str]() for name in cases}
    requests, cpu = dict.fromkeys(cases, 0), dict.fromkeys(cases, 0.0)
    for _ in range(rounds):  # in turn, so that a slow spell of the machine falls on both
        for name, (app, path, body) in cases.items():
            samples, answered, cpu_per_request = sample(app, path, body, seconds)
            counts[name] += samples
            requests[name] += answered
            cpu[name] += cpu_per_request * answered

    def us(name: str, group: str | None) -> float:
        samples = counts[name].total() if group is None else counts[name][group]
        return samples / RATE / requests[name] * 1e6

    ours, bare = requests["podcalc"] / rounds / seconds, requests["bare"] / rounds / seconds
    print(
        f"py-spy --gil at {RATE} Hz a worker; wrk -c16, {rounds} runs of {seconds} s each, in turn: "
        f"podcalc {ours:,.0f} req/s, bare {bare:,.0f} req/s ({ours / bare:.0%})\n"
    )
    print("| where | podcalc, us a request | bare Flask hello | added by podcalc |\n| --- | --- | --- | --- |")
    for group, label, _ in GROUPS:
        a, b = us("podcalc", group), us("bare", group)
        print(f"| {label} | {a:.0f} | {b:.0f} | {a - b:+.0f} |")
    a, b = us("podcalc", None), us("bare", None)
    print(f"| **Python work with the GIL held** | **{a:.0f}** | **{b:.0f}** | **{a - b:+.0f}** |")
    a, b = cpu["podcalc"] / requests["podcalc"], cpu["bare"] / requests["bare"]
    print(f"| worker CPU time (/proc: user + system) | {a:.0f} | {b:.0f} | {a - b:+.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
