"""podcalc's benchmarks: every figure beside a baseline measured in the same run.

    make bench            (installs wrk and the bench extras, then runs this)

Absolute times drift on a shared 2-core machine, so each result is reported as a ratio
against a baseline taken on the same machine, in the same run:

1. HTTP: POST /v1/effective-resources (a typical pod), through Flask's dispatch under the
   project's gunicorn configuration, loaded by wrk on loopback, against bench/hello.py's
   bare Flask endpoint under the same configuration. Targets: at least half the bare
   endpoint's requests a second; p99 under 20 ms at 16 connections.
2. Bulk: 1,000 Deployments as one YAML stream through the API and through
   ``podcalc effective -o json``, against ``yaml.load_all`` with the C loader on the same
   bytes (target: within 1.5x); 10,000 pods against 1,000, to show the cost is linear.
3. In-process: one typical pod through ``calc.evaluate.evaluate_pod`` and through
   ``podcalc.effective.evaluate_documents``, against a json round trip of the same pod;
   quantity parsing against the Kubernetes Python client's.
4. Memory: RSS of a worker idle, after bulk runs, and its peak on a 10 MiB body.
5. Start-up: process start to the first 200 from /healthz.

podcalc is reached only through its entry points: the gunicorn app (api.wsgi), the
``podcalc`` command, ``podcalc.effective`` and ``calc``. Traffic goes to 127.0.0.1 only;
every run is bounded in time.
"""

from __future__ import annotations

import compileall
import datetime
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import cast

import yaml

from bench.load import BARE, PODCALC, Cycle, Loaded, OtherLoad, abba_cycle
from bench.manifests import TYPICAL_POD, cut_stream, deployments, numbered_pod, pod_spec, pods
from bench.report import NOTES, RESULTS, Row, best, keep_run, markdown_table, medians, note_load, record, speed
from bench.servers import BIN, ROOT, gunicorn, post, rss_mb, send, settle, worker_pids
from bench.snapshot import bench_snapshot
from calc.evaluate import evaluate_pod
from calc.quantity import parse_quantity
from podcalc.effective import Document, evaluate_documents

# The benchmarks ----------------------------------------------------------------------------

HTTP_SHARE = 0.5  # of the bare endpoint's req/s
HTTP_P99_MS = 20.0
BULK_RATIO = 1.5  # of the YAML C loader's time


def bench_http(seconds: int, rounds: int = 5) -> None:
    """``rounds`` cycles of four runs, each cycle on two fresh servers (``abba_cycle``): the
    bare endpoint, podcalc, podcalc, the bare endpoint, half of ``seconds`` each (rounded
    down). A cycle's share is podcalc's requests a second over the bare endpoint's, each
    averaged over its two runs; the share judged is the median of the cycles' shares. A
    cycle during which other processes took more than NOISY_CORES is measured again, up to
    ``rounds`` more times."""
    run_seconds = max(1, seconds // 2)
    print(f"HTTP (wrk -t2 -c16 on loopback, {run_seconds} s a run, {rounds} cycles of 4 runs)", flush=True)
    from api.wsgi import app  # the request answers, and as it should

    answer = app.test_client().post(PODCALC.path, data=PODCALC.body, content_type="application/json").get_json()
    if answer["items"][0]["pod"]["qosClass"] != "Burstable":
        raise RuntimeError(f"unexpected answer: {answer}")
    cycles: list[Cycle] = []
    attempts_left = 2 * rounds
    while len(cycles) < rounds:
        attempts_left -= 1
        cycle = abba_cycle(BARE, PODCALC, run_seconds)
        print(f"    cycle share: {cycle.share:.1%}", flush=True)
        if keep_run(cycle.others, attempts_left, rounds - len(cycles)):
            cycles.append(cycle)
        else:
            print(f"    discarded: other processes kept {cycle.others:.2f} cores busy; measuring again", flush=True)
    base_runs = [r for c in cycles for r in c.base]
    our_runs = [r for c in cycles for r in c.ours]
    base, ours = Loaded(*medians(base_runs)), Loaded(*medians(our_runs))
    shares = [c.share for c in cycles]
    share = statistics.median(shares)
    note_load("HTTP, the busiest run kept", max(c.others for c in cycles))
    record(
        Row(
            "HTTP POST /v1/effective-resources (typical pod), req/s",
            f"{ours.rate:,.0f} (runs: {min(r.rate for r in our_runs):,.0f}-{max(r.rate for r in our_runs):,.0f})",
            f"{base.rate:,.0f} (bare Flask hello; runs: "
            f"{min(r.rate for r in base_runs):,.0f}-{max(r.rate for r in base_runs):,.0f})",
            f"{share:.1%} of bare (cycles: {min(shares):.0%}-{max(shares):.0%})",
            f">= {HTTP_SHARE:.0%}",
            share >= HTTP_SHARE,
        )
    )
    record(
        Row(
            "HTTP p50 / p99 latency, 16 connections",
            f"{ours.p50:.1f} / {ours.p99:.1f} ms",
            f"{base.p50:.1f} / {base.p99:.1f} ms",
            f"{ours.p99 / base.p99:.1f}x (p99)",
            f"p99 < {HTTP_P99_MS:.0f} ms",
            ours.p99 < HTTP_P99_MS,
        )
    )
    record(
        Row(
            "HTTP worker CPU a request (same runs)",
            f"{ours.cpu_us:.0f} us",
            f"{base.cpu_us:.0f} us",
            f"{ours.cpu_us / base.cpu_us:.1f}x",
        )
    )


BIG_LIMITS = {"PODCALC_MAX_CONTENT_LENGTH": str(64 * 1024 * 1024), "PODCALC_MAX_NODES": "10000000"}


def bench_bulk() -> None:
    print("Bulk", flush=True)
    data = deployments(1000).encode()
    small, big = pods(1_000).encode(), pods(10_000).encode()
    with tempfile.NamedTemporaryFile("wb", suffix=".yaml") as f:
        f.write(data)
        f.flush()
        cli_command = [str(BIN / "podcalc"), "effective", "-o", "json", f.name]
        cli_out = json.loads(subprocess.run(cli_command, capture_output=True, check=True).stdout)
        # 1,000 Deployments fit the default limits; 10,000 pods need a larger body and more
        # values. The growth from 1,000 to 10,000 pods is measured on one worker, so that one
        # process answers both sizes: two processes on a shared machine do not run at the same speed.
        with (
            gunicorn("api.wsgi:app") as (url, server, _),
            gunicorn("api.wsgi:app", BIG_LIMITS | {"PODCALC_WORKERS": "1"}) as (big_url, big_server, _),
        ):
            endpoint, big_endpoint = url + "/v1/effective-resources", big_url + "/v1/effective-resources"
            api_out = post(endpoint, data, "application/yaml")
            if not len(api_out["items"]) == len(cli_out["items"]) == 1000 or api_out["total"] != cli_out["total"]:
                raise RuntimeError("the API and the CLI do not give the same 1,000 items")
            if len(post(big_endpoint, big, "application/yaml")["items"]) != 10_000:
                raise RuntimeError("10,000 pods did not give 10,000 items")
            workers = worker_pids(server.pid) + worker_pids(big_server.pid)
            with OtherLoad(workers) as load:
                times = best(
                    {
                        "parse": lambda: list(yaml.load_all(data, Loader=yaml.CSafeLoader)),
                        "api": lambda: send(endpoint, data, "application/yaml"),
                        "cli": lambda: subprocess.run(cli_command, capture_output=True, check=True),
                    },
                    7,
                    between=lambda: settle(workers),
                )
                big_times = best(
                    {
                        "parse_big": lambda: list(yaml.load_all(big, Loader=yaml.CSafeLoader)),
                        "api_small": lambda: send(big_endpoint, small, "application/yaml"),
                        "api_big": lambda: send(big_endpoint, big, "application/yaml"),
                    },
                    5,
                    between=lambda: settle(workers),
                )
    note_load("bulk", load.cores)
    parse, api, cli = times["parse"], times["api"], times["cli"]
    parse_big, api_big, api_small = big_times["parse_big"], big_times["api_big"], big_times["api_small"]
    kib = len(data) / 1024
    record(
        Row(
            f"1,000 Deployments ({kib:,.0f} KiB of YAML) via the API",
            f"{api:.3f} s",
            f"{parse:.3f} s (yaml C loader)",
            f"{api / parse:.2f}x",
            f"<= {BULK_RATIO}x",
            api / parse <= BULK_RATIO,
        )
    )
    record(
        Row(
            "same stream via the CLI, podcalc effective -o json (process start included)",
            f"{cli:.3f} s",
            f"{parse:.3f} s",
            f"{cli / parse:.2f}x",
            f"<= {BULK_RATIO}x",
            cli / parse <= BULK_RATIO,
        )
    )
    record(
        Row(
            f"10,000 Pods ({len(big) / 1024:,.0f} KiB) via the API, one worker",
            f"{api_big:.3f} s",
            f"{parse_big:.3f} s (yaml C loader)",
            f"{api_big / parse_big:.2f}x",
        )
    )
    record(
        Row(
            "growth from 1,000 to 10,000 Pods via the API, one worker",
            f"{api_big / api_small:.1f}x the time",
            f"{api_small:.3f} s for 1,000",
            f"{api_big / api_small / 10:.2f} of linear",
        )
    )


PODS = 3000  # pods a timed case of the in-process benchmark runs


def per_pod(fn: Callable[[], object]) -> Callable[[], object]:
    """A case of ``best``: ``fn`` run once a pod, PODS times."""
    return lambda: timeit.timeit(fn, number=PODS)


QUANTITIES = (
    [f"{i}m" for i in range(1, 500)]
    + [f"{i}Mi" for i in range(1, 500)]
    + [f"{i}.5Gi" for i in range(100)]
    + ["1e3", "0.5", "128974848"]
)


def bench_in_process() -> None:
    print("In-process", flush=True)
    # the bench extras' (make bench installs them), so not imported with the module
    from kubernetes.utils.quantity import parse_quantity as untyped_client_parse

    client_parse = cast(Callable[[str], Decimal], untyped_client_parse)
    spec = pod_spec(TYPICAL_POD)
    # Cold: every pod's quantity strings are its own (12 a pod, 36,000 in all, well past the
    # parse caches' few thousand entries), as in a stream of unlike manifests.
    cold = itertools.cycle([numbered_pod(i) for i in range(PODS)])
    with OtherLoad() as load:
        times = best(
            {
                "pod": per_pod(lambda: evaluate_pod(spec)),
                "whole": per_pod(lambda: evaluate_documents([Document(0, TYPICAL_POD)])),
                "cold": per_pod(lambda: evaluate_documents([Document(0, next(cold))])),
                "empty": per_pod(lambda: json.loads(json.dumps(TYPICAL_POD))),
            }
        )
    note_load("in-process, one typical pod", load.cores)
    pod, whole, whole_cold, empty = (times[k] / PODS for k in ("pod", "whole", "cold", "empty"))
    # The cold pods, kept alive, would slow each collection in the cases below, and the
    # strings they leave in the parse cache would slow its hits.
    cold = itertools.cycle(())
    parse_quantity.cache_clear()
    baseline = f"{empty * 1e6:.1f} us (json round trip of the pod)"
    record(
        Row(
            "one typical pod, evaluate_pod: defaults, validation, requests, limits, QoS, phases",
            f"{pod * 1e6:.1f} us",
            baseline,
            f"{pod / empty:.1f}x",
        )
    )
    record(
        Row(
            "one typical pod, decoded body in to response dict out (evaluate_documents)",
            f"{whole * 1e6:.0f} us",
            baseline,
            f"{whole / empty:.1f}x",
        )
    )
    record(
        Row(
            "the same, cold (every quantity string new)",
            f"{whole_cold * 1e6:.0f} us",
            baseline,
            f"{whole_cold / empty:.1f}x",
        )
    )

    disagree = [s for s in QUANTITIES if parse_quantity(s).value != Fraction(client_parse(s))]
    if disagree:
        raise RuntimeError(f"podcalc and the Kubernetes client read these quantities differently: {disagree}")
    parse_quantity.cache_clear()
    uncached = parse_quantity.__wrapped__
    with OtherLoad() as load:
        times = best(
            {
                "ours": lambda: [uncached(s) for s in QUANTITIES],
                "cached": lambda: [parse_quantity(s) for s in QUANTITIES],
                "theirs": lambda: [client_parse(s) for s in QUANTITIES],
            },
            20,
        )
    note_load("in-process, quantity parse", load.cores)
    ours, cached, theirs = (times[k] / len(QUANTITIES) for k in ("ours", "cached", "theirs"))
    client = f"{theirs * 1e6:.2f} us (kubernetes.utils.parse_quantity)"
    record(
        Row(
            f"quantity parse, uncached ({len(QUANTITIES):,} strings, values equal to the client's)",
            f"{ours * 1e6:.2f} us",
            client,
            speed(ours, theirs),
        )
    )
    record(Row("quantity parse, repeated strings (cached)", f"{cached * 1e6:.2f} us", client, speed(cached, theirs)))


def bench_memory_and_startup() -> None:
    print("Memory and start-up", flush=True)
    starts: list[float] = []
    hello_starts: list[float] = []
    for _ in range(3):  # in turn
        with gunicorn("api.wsgi:app") as (_, _, seconds):
            starts.append(seconds)
        with gunicorn("bench.hello:app") as (_, _, seconds):
            hello_starts.append(seconds)
    start, hello_start = statistics.median(starts), statistics.median(hello_starts)
    record(
        Row(
            "start-up to the first 200 from /healthz (median of 3)",
            f"{start:.2f} s",
            f"{hello_start:.2f} s (bare Flask)",
            f"{start / hello_start:.1f}x",
        )
    )

    one_worker = {"PODCALC_WORKERS": "1"}
    data = deployments(1000).encode()
    ten_mib = cut_stream(deployments(17_000).encode(), 10 * 1024 * 1024)
    with gunicorn("bench.hello:app", one_worker) as (_, process, _):
        hello_rss = rss_mb(worker_pids(process.pid)[0])
    with gunicorn("api.wsgi:app", BIG_LIMITS | one_worker) as (url, process, _):
        worker = worker_pids(process.pid)[0]
        endpoint = url + "/v1/effective-resources"
        idle = rss_mb(worker)
        after = []
        for _ in range(5):
            send(endpoint, data, "application/yaml")
            after.append(rss_mb(worker))
        send(endpoint, ten_mib, "application/yaml")
        peak = rss_mb(worker, "VmHWM")
        settled = rss_mb(worker)
    record(
        Row(
            "RSS of one idle worker",
            f"{idle:.0f} MB",
            f"{hello_rss:.0f} MB (bare Flask worker)",
            f"{idle / hello_rss:.2f}x",
        )
    )
    record(
        Row(
            "RSS after each of 5 runs of the 1,000 Deployments",
            " / ".join(f"{m:.0f}" for m in after) + " MB",
            f"{idle:.0f} MB idle",
            f"{after[-1] - after[0]:+.0f} MB from run 1 to 5",
        )
    )
    record(
        Row(
            f"peak RSS on a {len(ten_mib) / 2**20:.1f} MiB body",
            f"{peak:.0f} MB (then {settled:.0f} MB)",
            f"{idle:.0f} MB idle",
            f"{peak / idle:.1f}x",
        )
    )


def describe_run() -> str:
    """When and where: the date, the commit, the machine."""
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now}; commit {commit or 'unknown'}; Python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs ({platform.machine()}); libyaml {yaml.__with_libyaml__}"
    )


def compile_sources() -> None:
    """podcalc's modules compiled to bytecode, as ``pip install`` compiles them: with
    PYTHONDONTWRITEBYTECODE set, a module edited since its last compile would otherwise be
    compiled again by every process that imports it, and the CLI's times would count it."""
    for package in ("calc", "podcalc", "api"):
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise RuntimeError(f"{package} does not compile")


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is not installed: make bench installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    print(describe_run(), flush=True)
    compile_sources()
    bench_in_process()
    bench_bulk()
    bench_http(seconds)
    bench_memory_and_startup()
    bench_snapshot()
    print("\n" + markdown_table(RESULTS) + "\n")
    for note in NOTES:
        print(note)
    missed = [row.name for row in RESULTS if row.met is False]
    print("every target met" if not missed else f"targets missed: {'; '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
