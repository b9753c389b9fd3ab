"""bench/'s pure helpers: the manifests it sends, how it reads wrk and /proc, how it times
cases in turn and reports them, and how bench/profile.py attributes a sampled stack.
Nothing here runs a benchmark."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest
import yaml

from bench.load import Cycle, Loaded, busy_seconds, parse_wrk, wrk, wrk_script
from bench.manifests import TYPICAL_POD, cut_stream, deployments, numbered_pod, pod_spec, pods
from bench.profile import group_of, module_path, tally
from bench.report import Row, best, keep_run, markdown_table, medians, speed
from bench.servers import ROOT, status_mb

# wrk 4.1's output with --latency, as bench/load.py reads it
WRK_OUT = """Running 10s test @ http://127.0.0.1:41567/v1/effective-resources
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.63ms    2.90ms  41.71ms   83.61%
    Req/Sec     1.44k   146.37     1.78k    71.00%
  Latency Distribution
     50%    4.98ms
     75%    6.43ms
     90%    8.66ms
     99%   15.94ms
  28712 requests in 10.01s, 39.14MB read
Requests/sec:   2868.33
Transfer/sec:      3.91MB
"""


def test_wrk_figures_are_read_in_milliseconds() -> None:
    result = parse_wrk(WRK_OUT)
    assert (result.rate, result.p50, result.p99, result.answered, result.failed) == (2868.33, 4.98, 15.94, 28712, 0)
    fast = WRK_OUT.replace("4.98ms", "812.00us").replace("15.94ms", "1.02s")
    assert parse_wrk(fast)[1:3] == pytest.approx((0.812, 1020.0))


def test_wrk_failures_count_bad_statuses_and_socket_errors() -> None:
    out = WRK_OUT.replace(
        "Requests/sec:",
        "  Socket errors: connect 0, read 1, write 0, timeout 2\n  Non-2xx or 3xx responses: 3\nRequests/sec:",
    )
    assert parse_wrk(out).failed == 6


def test_wrk_output_without_its_figures_is_an_error() -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_wrk(WRK_OUT.replace("Requests/sec", "Requests"))


def test_wrk_loads_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        wrk("http://10.0.0.1:8080/hello", None, 1)


def test_wrk_script_posts_the_body_as_json() -> None:
    assert wrk_script(None) == ""
    body = json.dumps(TYPICAL_POD)
    script = wrk_script(body)
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    assert script.endswith(f"wrk.body = {json.dumps(body)}\n")  # a double-quoted string, escaped alike in Lua


def test_status_figures_are_read_in_megabytes() -> None:
    status = "Name:\tgunicorn\nVmHWM:\t  102400 kB\nVmRSS:\t   51200 kB\n"
    assert (status_mb(status, "VmRSS"), status_mb(status, "VmHWM")) == (50.0, 100.0)
    assert status_mb(status, "VmSwap") != status_mb(status, "VmSwap")  # NaN


def test_busy_time_leaves_out_idle_and_io_wait() -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    stat = f"cpu  {ticks} 0 {2 * ticks} 9999 777 0 {ticks} 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
    assert busy_seconds(stat) == 4.0


def test_best_takes_the_cases_in_turn_and_keeps_the_best_time_of_each() -> None:
    calls: list[str] = []
    durations = iter([3.0, 5.0, 1.0, 6.0, 2.0, 4.0])  # a, b, a, b, a, b
    now = [0.0]

    def clock() -> float:
        return now[0]

    def case(name: str) -> Callable[[], object]:
        def run() -> None:
            calls.append(name)
            now[0] += next(durations)

        return run

    def between() -> None:
        calls.append("-")
        now[0] += 100.0

    times = best({"a": case("a"), "b": case("b")}, rounds=3, clock=clock, between=between)
    assert times == {"a": 1.0, "b": 4.0}
    assert calls == ["-", "a", "-", "b"] * 3  # between runs before each case, and is not timed


def test_a_noisy_cycle_of_http_runs_is_measured_again_while_attempts_remain() -> None:
    assert keep_run(0.05, attempts_left=9, cycles_needed=5)
    assert not keep_run(0.6, attempts_left=9, cycles_needed=5)
    assert not keep_run(0.6, attempts_left=4, cycles_needed=4)  # four attempts left for four cycles
    assert keep_run(0.6, attempts_left=3, cycles_needed=4)  # the last chance: kept, and reported noisy


def test_a_cycles_share_averages_each_apps_runs_before_dividing() -> None:
    def run(rate: float, others: float = 0.0) -> Loaded:
        return Loaded(rate, 1.0, 2.0, 300.0, others)

    cycle = Cycle(base=(run(6000.0), run(4000.0, 0.3)), ours=(run(2700.0), run(2300.0)))
    assert cycle.share == 0.5  # 2,500 over 5,000, not the mean of 2,700/6,000 and 2,300/4,000
    assert cycle.others == 0.3


def test_medians_are_taken_figure_by_figure() -> None:
    assert medians([(1.0, 30.0), (3.0, 10.0), (2.0, 20.0)]) == [2.0, 20.0]


def test_speed_says_faster_or_slower_to_two_decimals() -> None:
    assert speed(0.4, 1.0) == "2.50x faster"
    assert speed(1.04, 1.0) == "1.04x slower"
    assert speed(1.0, 1.0) == "even"


def test_results_table_marks_each_target_met_or_missed() -> None:
    rows = [
        Row("a", "1", "2", "50%", ">= 50%", True),
        Row("b", "3", "1", "3.0x", "<= 1.5x", False),
        Row("c", "", "", ""),
    ]
    lines = markdown_table(rows).splitlines()
    assert lines[0].startswith("| benchmark | podcalc | baseline (same run) |")
    assert lines[2:] == [
        "| a | 1 | 2 | 50% | >= 50% | met |",
        "| b | 3 | 1 | 3.0x | <= 1.5x | **missed** |",
        "| c |  |  |  |  |  |",
    ]


def test_streams_hold_the_documents_asked_for_each_with_its_own_figures() -> None:
    docs = list(yaml.load_all(deployments(50), Loader=yaml.CSafeLoader))
    assert len(docs) == 50
    assert {d["kind"] for d in docs} == {"Deployment"}
    assert len({d["metadata"]["name"] for d in docs}) == 50
    apps = [d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] for d in docs]
    assert len(set(apps)) == 50
    assert [d["metadata"]["name"] for d in yaml.load_all(pods(3), Loader=yaml.CSafeLoader)] == ["p-0", "p-1", "p-2"]


def test_a_cut_stream_keeps_whole_documents_within_the_size() -> None:
    stream = deployments(20).encode()
    cut = cut_stream(stream, len(stream) // 2)
    assert 0 < len(cut) <= len(stream) // 2
    assert stream.startswith(cut)
    assert len(list(yaml.load_all(cut, Loader=yaml.CSafeLoader))) == cut.count(b"---\n") + 1
    assert cut_stream(stream, len(stream)) == stream


def test_numbered_pods_keep_the_typical_pods_shape_with_quantities_of_their_own() -> None:
    def quantities(pod: dict[str, object]) -> list[str]:
        spec = pod["spec"]
        assert isinstance(spec, dict)
        return [
            q
            for c in spec["initContainers"] + spec["containers"]
            for part in ("requests", "limits")
            for q in c["resources"][part].values()
        ]

    first, second = numbered_pod(1), numbered_pod(2)
    assert first["spec"]["initContainers"][1]["restartPolicy"] == "Always"
    assert len(quantities(first)) == len(quantities(TYPICAL_POD)) == 12
    assert not set(quantities(first)) & set(quantities(second))
    assert TYPICAL_POD["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"  # not changed


def test_the_pod_spec_bench_builds_gives_what_the_application_reads_from_the_manifest() -> None:
    from calc.evaluate import evaluate_pod
    from calc.pod import ContainerType
    from calc.quantity import canonical
    from podcalc.effective import Document, evaluate_documents

    spec = pod_spec(TYPICAL_POD)
    assert [c.type for c in spec.init_containers] == [ContainerType.INIT, ContainerType.SIDECAR]
    evaluation = evaluate_pod(spec)
    pod = evaluate_documents([Document(0, TYPICAL_POD)])["items"][0]["pod"]
    assert {k: q.text or canonical(q) for k, q in evaluation.requests.items()} == pod["requests"]
    assert {k: q.text or canonical(q) for k, q in evaluation.limits.items()} == pod["limits"]
    assert evaluation.qos_class.value == pod["qosClass"] == "Burstable"


# py-spy's raw lines: frames root first, "function (file:line)", then the sample count
SERVER = "Thread.run (threading.py:982);ThreadWorker.handle (gunicorn/workers/gthread.py:553)"
FLASK = SERVER + ";Flask.__call__ (flask/app.py:1536);_ResponseHeaders.__call__ (api/observability.py:82)"
VIEW = FLASK + ";Flask.wsgi_app (flask/app.py:1511);_stream (api/views.py:77)"


def test_the_innermost_grouped_frame_decides() -> None:
    assert group_of((VIEW + ";life (calc/effective.py:150)").split(";")) == "calc"
    assert group_of((VIEW + ";evaluate_documents (podcalc/effective.py:90)").split(";")) == "podcalc"
    assert group_of((VIEW + ";_nodes (api/views.py:40)").split(";")) == "endpoint"
    assert group_of((VIEW + ";Request.get_data (werkzeug/wrappers/request.py:434)").split(";")) == "framework"
    assert group_of(FLASK.split(";")) == "observability"


def test_standard_library_frames_count_in_their_callers_group() -> None:
    date = SERVER + ";http_date (gunicorn/util.py:470);formatdate (email/utils.py:147)"
    assert group_of(date.split(";")) == "server"
    body = VIEW + ";loads_exact (podcalc/reading/documents.py:60);JSONDecoder.raw_decode (json/decoder.py:353)"
    assert group_of(body.split(";")) == "podcalc"
    log = SERVER + ";JsonLogger.access (api/gunicorn_logging.py:40);Logger.info (logging/__init__.py:1489)"
    assert group_of(log.split(";")) == "access log"
    assert group_of(["Thread.run (threading.py:982)", "_worker (concurrent/futures/thread.py:83)"]) == "server"


def test_frames_are_grouped_by_their_package_not_by_a_folder_name_inside_another() -> None:
    other = SERVER + ";list_pod (kubernetes/client/api/core_v1_api.py:15000)"
    assert group_of(other.split(";")) == "server"  # its caller's group: kubernetes is in none
    site = "/venv/lib/python3.11/site-packages/flask/app.py"
    assert group_of([f"dispatch ({site}:900)", "get (/work/x/calc/effective.py:1)"]) == "framework"
    assert module_path(f"<lambda> ({ROOT}/api/views.py:3)") == "api/views.py"
    assert module_path(f"read ({ROOT}/podcalc/reading/documents.py:3)") == "podcalc/reading/documents.py"


def test_tally_adds_the_counts_of_each_group_and_skips_unreadable_lines() -> None:
    lines = [VIEW + ";life (calc/effective.py:150) 3", VIEW + ";add (calc/quantity.py:167) 2", SERVER + " 5", ""]
    lines += ["__spec__ (__loader__:-155491664", "garbage"]
    assert tally(lines) == ({"calc": 5, "server": 5}, 2)


def test_the_instruction_count_reads_callgrinds_summary_and_each_app_answers_its_request() -> None:
    from bench import instructions

    summary = "==7== Events    : Ir\n==7== Collected : 2197041946\n==7==\n==7== I   refs:      2,197,041,946\n"
    assert instructions.collected(summary) == 2_197_041_946
    with pytest.raises(ValueError, match="no count"):
        instructions.collected("valgrind: command not found")
    assert instructions.request("podcalc")() == "200 OK"
    assert instructions.request("bare")() == "200 OK"
