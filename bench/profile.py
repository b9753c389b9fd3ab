"""Where an HTTP request's time goes: both servers of the HTTP benchmark, side by side.

    make profile          (installs wrk and py-spy if missing; about 80 s)

Each server runs under the project's gunicorn configuration (2 workers) and the load of
the HTTP benchmark (wrk, 16 connections, on loopback), while py-spy samples every worker.
py-spy records only the thread holding the GIL (``--gil``): the Python work of a request,
not its waits. A sample counts in the group of its innermost frame that belongs to a
group; the standard library's frames count in their caller's (``email.utils`` formats
gunicorn's Date header, ``json`` decodes the request body in podcalc/reading). Each group's samples are turned
into microseconds of a request: samples / rate / requests answered.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from bench.load import BARE, PODCALC, wrk_with_cpu
from bench.servers import BIN, ROOT, gunicorn, worker_pids

RATE = 250  # samples a second per worker

# (group, what it holds, where its code lives): a frame belongs to the first group with a
# prefix of its file's path from the package (api/views.py, flask/app.py), and a stack with
# no grouped frame counts as the server's (gunicorn's thread pool and its selector).
GROUPS = (
    ("calc", "calc/: the calculation", ("calc/",)),
    ("podcalc", "podcalc/: reading the body, the workloads, the response body", ("podcalc/",)),
    ("access log", "access log: one JSON line a request", ("api/gunicorn_logging.py",)),
    ("observability", "request id, security headers, metrics", ("api/observability.py", "prometheus_client/")),
    ("endpoint", "api/: the view and its query (bare: its view)", ("api/", "bench/hello.py")),
    ("framework", "Flask and werkzeug: routing, request and response objects", ("flask/", "werkzeug/")),
    ("server", "gunicorn: HTTP parsing, sockets, worker threads", ("gunicorn/",)),
)
_FRAME_FILE = re.compile(r"\(([^()]*?)(?::-?\d+)?\)$")
_SITE_PACKAGES = re.compile(r"^.*/(?:site|dist)-packages/")
_SUMMARY = re.compile(r"Samples: (\d+) Errors: (\d+)")


def module_path(frame: str) -> str:
    """The file of a frame (``function (path:line)``) as a path from its package. py-spy
    prints most that way already; an absolute path is cut at site-packages or the project."""
    m = _FRAME_FILE.search(frame)
    path = m.group(1) if m else ""
    return _SITE_PACKAGES.sub("", path.removeprefix(f"{ROOT}/"))


def group_of(stack: list[str]) -> str:
    """The group of a sampled stack (root first): that of its innermost grouped frame."""
    for frame in reversed(stack):
        path = module_path(frame)
        for name, _, prefixes in GROUPS:
            if path.startswith(prefixes):
                return name
    return "server"


def tally(lines: list[str]) -> tuple[collections.Counter[str], int]:
    """Samples per group, from py-spy's raw output (``frame;frame;... count`` a line), and
    how many lines were unreadable (skipped: py-spy can read a frame as it changes)."""
    counts: collections.Counter[str] = collections.Counter()
    unreadable = 0
    for line in lines:
        if not line.strip():
            continue
        stack, _, n = line.rstrip().rpartition(" ")
        if not stack or not n.isdigit():
            unreadable += 1
            continue
        counts[group_of(stack.split(";"))] += int(n)
    return counts, unreadable


class Sampled(NamedTuple):
    counts: collections.Counter[str]  # samples per group
    requests: int  # answered during the load
    cpu: float  # the workers' CPU seconds during the load
    samples: int  # as py-spy counts them
    errors: int  # samples py-spy failed to take
    unreadable: int  # raw lines skipped


def sample(app: str, path: str, body: str | None, seconds: int) -> Sampled:
    """``app`` under wrk for ``seconds``, each worker sampled by py-spy from a second before
    the load starts to a second after it ends."""
    record = [str(BIN / "py-spy"), "record", "--gil", "-r", str(RATE), "-d", str(seconds + 2), "-f", "raw"]
    with gunicorn(app) as (url, process, _), tempfile.TemporaryDirectory() as out:
        workers = worker_pids(process.pid)
        spies = [
            subprocess.Popen(
                [*record, "-o", f"{out}/{pid}.txt", "-p", str(pid)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for pid in workers
        ]
        try:
            time.sleep(1)  # py-spy attached and sampling before the load starts
            measured = wrk_with_cpu(url + path, workers, body, seconds)
            outputs = [spy.communicate(timeout=30) for spy in spies]
        finally:
            for spy in spies:
                if spy.poll() is None:
                    spy.kill()
                    spy.wait()
        for spy, (_, err) in zip(spies, outputs, strict=True):
            if spy.returncode != 0:
                raise RuntimeError(f"py-spy failed (it needs ptrace: root, or CAP_SYS_PTRACE): {err.strip()[-500:]}")
        summaries = [_SUMMARY.search(stdout) for stdout, _ in outputs]
        # one stack a line: split on newlines only, as a frame's text may hold other line breaks
        lines = [
            line for f in Path(out).iterdir() for line in f.read_text(encoding="utf-8", errors="replace").split("\n")
        ]
    counts, unreadable = tally(lines)
    taken = sum(int(m[1]) for m in summaries if m)
    errors = sum(int(m[2]) for m in summaries if m)
    return Sampled(counts, measured.result.answered, measured.cpu, taken, errors, unreadable)


def main() -> int:
    seconds, rounds = int(os.environ.get("BENCH_SECONDS", "10")), 3
    cases = {"podcalc": PODCALC, "bare": BARE}
    runs: dict[str, list[Sampled]] = {name: [] for name in cases}
    for _ in range(rounds):  # in turn, so that a slow spell of the machine falls on both
        for name, (app, path, body) in cases.items():
            runs[name].append(sample(app, path, body, seconds))
    counts = {name: sum((r.counts for r in rs), collections.Counter[str]()) for name, rs in runs.items()}
    requests = {name: sum(r.requests for r in rs) for name, rs in runs.items()}

    def us(name: str, group: str | None) -> float:
        samples = counts[name].total() if group is None else counts[name][group]
        return samples / RATE / requests[name] * 1e6

    def cpu(name: str) -> float:
        return sum(r.cpu for r in runs[name]) / requests[name] * 1e6

    ours, bare = requests["podcalc"] / rounds / seconds, requests["bare"] / rounds / seconds
    print(
        f"py-spy --gil at {RATE} Hz a worker; wrk -c16, {rounds} runs of {seconds} s each, in turn: "
        f"podcalc {ours:,.0f} req/s, bare {bare:,.0f} req/s ({ours / bare:.0%})"
    )
    for name, rs in runs.items():
        taken, errors = sum(r.samples for r in rs), sum(r.errors for r in rs)
        unreadable = sum(r.unreadable for r in rs)
        print(f"{name}: py-spy took {taken:,} samples and counted {errors:,} errors; {unreadable} raw lines unreadable")
    print("\n| where | podcalc, us a request | bare Flask hello | added by podcalc |\n| --- | --- | --- | --- |")
    for group, label, _ in GROUPS:
        a, b = us("podcalc", group), us("bare", group)
        print(f"| {label} | {a:.0f} | {b:.0f} | {a - b:+.0f} |")
    a, b = us("podcalc", None), us("bare", None)
    print(f"| **Python work with the GIL held** | **{a:.0f}** | **{b:.0f}** | **{a - b:+.0f}** |")
    a, b = cpu("podcalc"), cpu("bare")
    print(f"| worker CPU time (/proc: user + system) | {a:.0f} | {b:.0f} | {a - b:+.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
