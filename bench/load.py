"""Load on loopback with wrk, read back into figures, and the CPU time a request costs the
workers meanwhile, with how busy the rest of the machine was."""

from __future__ import annotations

import json
import math
import os
import re
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from bench.manifests import TYPICAL_POD
from bench.servers import cpu_seconds, gunicorn, settle, worker_pids


class WrkResult(NamedTuple):
    rate: float  # requests a second
    p50: float  # ms
    p99: float  # ms
    answered: int  # requests completed
    failed: int  # non-2xx or 3xx responses, and socket errors


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> WrkResult:
    """wrk's figures, from its output with ``--latency``."""

    def match(pattern: str) -> re.Match[str]:
        m = re.search(pattern, out)
        if m is None:
            raise ValueError(f"no {pattern!r} in wrk's output:\n{out}")
        return m

    def percentile(p: str) -> float:
        value, unit = match(rf"\s{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b").groups()
        return float(value) * _UNITS_MS[unit]

    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        rate=float(match(r"Requests/sec:\s+([\d.]+)").group(1)),
        p50=percentile("50"),
        p99=percentile("99"),
        answered=int(match(r"(\d+) requests in").group(1)),
        failed=(int(failed.group(1)) if failed else 0) + (sum(map(int, errors.groups())) if errors else 0),
    )


def wrk_script(body: str | None) -> str:
    """wrk's Lua script: a POST of ``body`` as JSON, or nothing (a GET)."""
    if body is None:
        return ""
    return f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(body)}\n'


def wrk(url: str, body: str | None, seconds: int, connections: int = 16) -> WrkResult:
    """wrk (2 threads) on loopback against ``url`` for ``seconds``; raises if any request failed."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"load goes to loopback only, not {url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(body))
        script.flush()
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    result = parse_wrk(out)
    if result.failed:
        raise RuntimeError(f"wrk saw {result.failed} failed requests:\n{out}")
    return result


class Target(NamedTuple):
    """An app under load: its WSGI entry (``bench.hello:app``), the path and the body wrk sends."""

    app: str
    path: str
    body: str | None


BARE = Target("bench.hello:app", "/hello", None)
PODCALC = Target("api.wsgi:app", "/v1/effective-resources", json.dumps(TYPICAL_POD))


class Loaded(NamedTuple):
    rate: float  # requests a second
    p50: float  # ms
    p99: float  # ms
    cpu_us: float  # the workers' CPU time a request, in us
    others: float  # cores kept busy meanwhile by processes other than the server, wrk and bench


class Measured(NamedTuple):
    result: WrkResult
    cpu: float  # the workers' CPU seconds during the run
    others: float  # cores kept busy by every other process, on average over the run


def busy_seconds(stat: str) -> float:
    """CPU seconds the machine has spent busy since boot, all processes together, from the
    first line of /proc/stat (user, nice, system, irq, softirq and steal time)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in stat.split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    return busy_seconds(Path("/proc/stat").read_text())


def _own_and_children_cpu() -> float:
    """CPU seconds of this process and of its children waited for (wrk, the CLI)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class OtherLoad:
    """How busy the rest of the machine was while a ``with`` block ran: the cores that
    processes other than this one, its children waited for and ``pids`` (the servers'
    workers) kept busy, on average. Another process's work takes the same two cores, and a
    figure it overlaps reads slower. ``pids_cpu`` is the CPU seconds of ``pids`` meanwhile
    (NaN when one is gone: a worker recycled, its CPU gone with it)."""

    def __init__(self, pids: Sequence[int] = ()) -> None:
        self.pids = list(pids)
        self.cores = 0.0
        self.pids_cpu = 0.0
        self._start = (0.0, 0.0, 0.0, 0.0)

    def _pids_cpu(self) -> float:
        try:
            return sum(cpu_seconds(pid) for pid in self.pids)
        except OSError:
            return float("nan")

    def __enter__(self) -> OtherLoad:
        self._start = (self._pids_cpu(), _own_and_children_cpu(), _machine_busy(), time.perf_counter())
        return self

    def __exit__(self, *_: object) -> None:
        pids, ours, machine, start = self._start
        self.pids_cpu = self._pids_cpu() - pids
        ours = _own_and_children_cpu() - ours
        machine, elapsed = _machine_busy() - machine, time.perf_counter() - start
        others = machine - ours - (0.0 if math.isnan(self.pids_cpu) else self.pids_cpu)
        self.cores = max(0.0, others) / elapsed


def wrk_with_cpu(url: str, workers: list[int], body: str | None, seconds: int) -> Measured:
    """``wrk``'s figures, the CPU seconds the ``workers`` spent meanwhile (NaN when one was
    recycled during the run) and how busy the rest of the machine was (see ``OtherLoad``)."""
    with OtherLoad(workers) as load:
        result = wrk(url, body, seconds)
    return Measured(result, load.pids_cpu, load.cores)


def loaded(target: Target, url: str, workers: list[int], seconds: int) -> Loaded:
    """``target`` served at ``url`` under wrk, with its ``workers``' CPU time a request (less
    swayed than req/s by what else the shared machine runs: wrk shares its cores)."""
    m = wrk_with_cpu(url, workers, target.body, seconds)
    run = Loaded(m.result.rate, m.result.p50, m.result.p99, m.cpu / m.result.answered * 1e6, m.others)
    print(
        f"    {target.app}: {run.rate:,.0f} req/s, p50 {run.p50:.1f} ms, p99 {run.p99:.1f} ms, "
        f"CPU {run.cpu_us:.0f} us a request; other processes: {run.others:.2f} cores",
        flush=True,
    )
    return run


class Cycle(NamedTuple):
    """Runs of the bare endpoint and of podcalc, taken in turn on the same two servers."""

    base: tuple[Loaded, ...]
    ours: tuple[Loaded, ...]

    @property
    def share(self) -> float:
        """podcalc's requests a second over the bare endpoint's, each averaged over its runs."""
        return statistics.fmean(r.rate for r in self.ours) / statistics.fmean(r.rate for r in self.base)

    @property
    def others(self) -> float:
        """The most cores other processes kept busy during one of its runs."""
        return max(r.others for r in (*self.base, *self.ours))


def abba_cycle(base: Target, ours: Target, seconds: int) -> Cycle:
    """Both apps on fresh servers, loaded in the order bare, podcalc, podcalc, bare for
    ``seconds`` each, every run once both servers' workers are idle: the machine's speed
    drifts over seconds, and in this order both apps' runs sit, on average, at the same
    moment of the cycle, so a steady drift falls on both alike."""
    with gunicorn(base.app) as (base_url, base_server, _), gunicorn(ours.app) as (our_url, our_server, _):
        servers = {
            base: (base_url + base.path, worker_pids(base_server.pid)),
            ours: (our_url + ours.path, worker_pids(our_server.pid)),
        }
        runs: dict[Target, list[Loaded]] = {base: [], ours: []}
        every_worker = [pid for _, workers in servers.values() for pid in workers]
        for target in (base, ours, ours, base):
            url, workers = servers[target]
            settle(every_worker)  # the other server's too: one still freeing a run's objects takes a core
            runs[target].append(loaded(target, url, workers, seconds))
    return Cycle(tuple(runs[base]), tuple(runs[ours]))
