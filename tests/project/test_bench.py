"""bench/profile.py's attribution: which group a sampled stack's time counts in."""

from __future__ import annotations

from bench.profile import group_of, module_path, tally
from bench.run import ROOT

# py-spy's raw lines: frames root first, "function (file:line)", then the sample count
SERVER = "Thread.run (threading.py:982);ThreadWorker.handle (gunicorn/workers/gthread.py:553)"
FLASK = SERVER + ";Flask.__call__ (flask/app.py:1536);_ResponseHeaders.__call__ (api/observability.py:82)"
VIEW = FLASK + ";Flask.wsgi_app (flask/app.py:1511);_stream (api/views.py:77)"


def test_the_innermost_grouped_frame_decides() -> None:
    assert group_of((VIEW + ";life (calc/effective.py:150)").split(";")) == "calc"
    assert group_of((VIEW + ";evaluate_documents (api/service.py:90)").split(";")) == "endpoint"
    assert group_of((VIEW + ";Request.get_data (werkzeug/wrappers/request.py:434)").split(";")) == "framework"
    assert group_of(FLASK.split(";")) == "observability"


def test_standard_library_frames_count_in_their_callers_group() -> None:
    date = SERVER + ";http_date (gunicorn/util.py:470);formatdate (email/utils.py:147)"
    assert group_of(date.split(";")) == "server"
    body = VIEW + ";loads_exact (api/intake.py:60);JSONDecoder.raw_decode (json/decoder.py:353)"
    assert group_of(body.split(";")) == "endpoint"
    log = SERVER + ";JsonLogger.access (api/gunicorn_logging.py:40);Logger.info (logging/__init__.py:1489)"
    assert group_of(log.split(";")) == "access log"
    assert group_of(["Thread.run (threading.py:982)", "_worker (concurrent/futures/thread.py:83)"]) == "server"


def test_frames_are_grouped_by_their_package_not_by_a_folder_name_inside_another() -> None:
    other = SERVER + ";list_pod (kubernetes/client/api/core_v1_api.py:15000)"
    assert group_of(other.split(";")) == "server"  # its caller's group: kubernetes is in none
    site = "/venv/lib/python3.11/site-packages/flask/app.py"
    assert group_of([f"dispatch ({site}:900)", "get (/work/x/calc/effective.py:1)"]) == "framework"
    assert module_path(f"<lambda> ({ROOT}/api/views.py:3)") == "api/views.py"


def test_tally_adds_the_counts_of_each_group_and_skips_unreadable_lines() -> None:
    lines = [VIEW + ";life (calc/effective.py:150) 3", VIEW + ";add (calc/quantity.py:167) 2", SERVER + " 5", ""]
    lines += ["__spec__ (__loader__:-155491664", "garbage"]
    assert tally(lines) == ({"calc": 5, "server": 5}, 2)
