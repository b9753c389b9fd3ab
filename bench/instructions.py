"""Instructions a request: the work of one request, counted rather than timed.

    .venv/bin/python -m bench.instructions      (needs valgrind; about a minute)

Each app answers its request in one process, through its WSGI call, under valgrind's
callgrind: podcalc ``POST /v1/effective-resources`` of ``TYPICAL_POD``, the bare endpoint
``GET /hello`` (``bench/hello.py``). Each runs twice, answering no request and then
``REQUESTS`` of them after the same warm-up; the difference over ``REQUESTS`` is what one
request executes. Each process is set up as a gunicorn worker of ``gunicorn.conf.py`` is:
its collector frozen and tuned as ``post_fork`` does, metrics in multiprocess mode. A count,
unlike a time, does not depend on how busy the machine is (with the hash seed fixed, two runs
of the same code agree to a few instructions), so a change to the request path can be judged
by it here.
It counts work, not cache misses or waits: it does not stand for the HTTP benchmark's
requests a second, which ``make bench`` measures.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.load import BARE, PODCALC
from bench.servers import ROOT

REQUESTS = 500
WARM_UP = 50
_COLLECTED = re.compile(r"Collected : (\d+)")


def environ(method: str, path: str, body: bytes = b"") -> dict[str, Any]:
    """A WSGI environ of the keys gunicorn sets that the apps read, for a request from wrk."""
    out: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": "wrk",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        out["CONTENT_TYPE"] = "application/json"
    return out


def request(app_name: str) -> Callable[[], str]:
    """One request to the app named (``podcalc`` or ``bare``): a call that answers it and
    returns its status."""
    target = PODCALC if app_name == "podcalc" else BARE
    module, name = target.app.split(":")
    app = getattr(importlib.import_module(module), name)
    method, body = ("POST", target.body.encode()) if target.body is not None else ("GET", b"")
    path = target.path
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable[[bytes], None]:
        statuses.append(status)
        return lambda data: None

    def answer() -> str:
        chunks = app(environ(method, path, body), start_response)
        b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        return statuses.pop()

    return answer


def serve(app_name: str, count: int) -> None:
    """Answer the warm-up, then ``count`` requests (the process valgrind counts), with the
    collector as a worker has it (``post_fork`` of gunicorn.conf.py)."""
    answer = request(app_name)
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_fork"](None, None)
    for _ in range(WARM_UP + count):
        status = answer()
        if not status.startswith("200"):
            raise RuntimeError(f"{app_name} answered {status}")


def collected(stderr: str) -> int:
    """The instructions callgrind counted, from its summary on stderr."""
    match = _COLLECTED.search(stderr)
    if match is None:
        raise ValueError(f"no count in valgrind's output:\n{stderr[-2000:]}")
    return int(match.group(1))


def count(app_name: str, requests: int) -> int:
    """The instructions of a process that answers ``requests`` requests after the warm-up."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    command += ["-m", "bench.instructions", "--serve", app_name, str(requests)]
    with tempfile.TemporaryDirectory(prefix="podcalc-metrics-") as metrics:
        env = os.environ | {"PYTHONHASHSEED": "0", "PROMETHEUS_MULTIPROC_DIR": metrics}
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{app_name}: exit {run.returncode}\n{run.stderr[-2000:]}")
    return collected(run.stderr)


def per_request(app_name: str, pool: ThreadPoolExecutor) -> int:
    without, with_requests = pool.map(lambda n: count(app_name, n), (0, REQUESTS))
    return (with_requests - without) // REQUESTS


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return 0
    if not shutil.which("valgrind"):
        print("valgrind is needed: apt-get install valgrind", file=sys.stderr)
        return 1
    with ThreadPoolExecutor(2) as pool:
        ours, bare = per_request("podcalc", pool), per_request("bare", pool)
    print(f"instructions a request, in one process ({REQUESTS} requests after {WARM_UP})")
    print(f"  podcalc POST /v1/effective-resources (typical pod): {ours:,}")
    print(f"  bare Flask GET /hello:                            {bare:,}")
    print(f"  ratio: {ours / bare:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
