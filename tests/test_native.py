"""The compiled core (make core, calc/_native): loaded only when current, and the same answers.

``make test`` builds it before the tests, so in CI (``CI=true``) it must be there; elsewhere
the tests that need it are skipped where no C compiler could build it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import calc

ROOT = Path(__file__).resolve().parent.parent


def _python(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """``python *args`` in ``cwd``, PODCALC_NATIVE (and anything else) as ``env`` says."""
    environ = {k: v for k, v in os.environ.items() if k != "PODCALC_NATIVE"} | env
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300, check=False
    )


def _copy(to: Path, *names: str, ignore: tuple[str, ...] = ()) -> None:
    """The project's ``names`` (folders or files) copied into ``to``, caches left out."""
    for name in names:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, to / name, ignore=shutil.ignore_patterns("__pycache__", *ignore))
        else:
            shutil.copy(ROOT / name, to / name)


@pytest.fixture(scope="module")
def built() -> None:
    if not calc.native_is_current():
        if os.environ.get("CI"):
            pytest.fail("calc/_native is not built from these sources: make test builds it (make core)")
        pytest.skip("calc/_native is not built (make core)")


_WHERE = "import calc, calc.quantity, calc.units; print(calc.NATIVE, calc.quantity.__file__, calc.units.__file__)"


@pytest.mark.usefixtures("built")
def test_the_compiled_modules_load_from_native_and_the_rest_from_source() -> None:
    assert calc.NATIVE is (os.environ.get("PODCALC_NATIVE", "true") == "true")
    out = _python("-c", _WHERE).stdout.split()
    assert out[0] == "True"
    assert out[1] == _so("quantity")
    assert out[2] == str(ROOT / "calc" / "units.py")  # pint's module is not compiled
    each = "import calc.evaluate, sys; print(sorted(m for m in sys.modules if m.startswith('calc.') and '.so' in {}))"
    compiled = _python("-c", each.format("sys.modules[m].__file__")).stdout.strip()
    assert compiled == repr(sorted(["calc.native__mypyc"] + ["calc." + m for m in calc.COMPILED]))


@pytest.mark.usefixtures("built")
def test_podcalc_native_false_runs_the_sources() -> None:
    out = _python("-c", _WHERE, PODCALC_NATIVE="false").stdout.split()
    assert out == ["False", str(ROOT / "calc" / "quantity.py"), str(ROOT / "calc" / "units.py")]


def test_podcalc_native_must_be_true_or_false() -> None:
    result = _python("-c", "import calc", PODCALC_NATIVE="0")
    assert result.returncode == 1
    assert "ValueError: PODCALC_NATIVE must be true or false, not '0'" in result.stderr


@pytest.mark.usefixtures("built")
def test_an_edited_source_runs_interpreted_until_rebuilt(tmp_path: Path) -> None:
    _copy(tmp_path, "calc")
    probe = "import calc, calc.qos; print(calc.NATIVE, calc.qos.__file__)"
    native = tmp_path / "calc" / "_native" / Path(_so("qos")).name
    assert _python("-c", probe, cwd=tmp_path).stdout.split() == ["True", str(native)]
    with (tmp_path / "calc" / "effective.py").open("a") as f:  # any module of calc, compiled or not
        f.write("\n# edited\n")
    assert _python("-c", probe, cwd=tmp_path).stdout.split() == ["False", str(tmp_path / "calc" / "qos.py")]


def _so(module: str) -> str:
    return next(str(p) for p in calc.NATIVE_DIR.glob(f"{module}.*.so"))


@pytest.mark.usefixtures("built")
def test_a_foreign_incomplete_or_unreadable_build_is_not_loaded(tmp_path: Path) -> None:
    _copy(tmp_path, "calc")
    record = tmp_path / "calc" / "_native" / "SOURCES.json"
    stamp = json.loads(record.read_text())
    probe = "import calc; print(calc.NATIVE)"
    assert _python("-c", probe, cwd=tmp_path).stdout.strip() == "True"
    other_platform = stamp | {"suffix": ".cpython-311-aarch64-linux-gnu.so"}
    for text in (json.dumps(stamp | {"python": "cpython-312"}), json.dumps(other_platform), "{", "[]", ""):
        record.write_text(text)
        assert _python("-c", probe, cwd=tmp_path).stdout.strip() == "False", text
    record.write_text(json.dumps(stamp))
    Path(_so("qos").replace(str(calc.NATIVE_DIR), str(record.parent))).unlink()  # a module missing
    assert _python("-c", probe, cwd=tmp_path).stdout.strip() == "False"
    record.unlink()
    assert _python("-c", probe, cwd=tmp_path).stdout.strip() == "False"


@pytest.mark.usefixtures("built")
def test_compiled_and_interpreted_cores_answer_the_same() -> None:
    """Every example through the API, pods broken each a different way, /v1/quantity, a plan,
    a diff and what-ifs; 3,000 random quantity strings and 3,000 random pods."""
    compiled, interpreted = (_python("-m", "tests.native_answers", PODCALC_NATIVE=flag) for flag in ("true", "false"))
    assert compiled.returncode == interpreted.returncode == 0, compiled.stderr + interpreted.stderr
    ours, theirs = json.loads(compiled.stdout), json.loads(interpreted.stdout)
    assert (ours["native"], theirs["native"]) == (True, False)
    for part in ("quantities", "pods", "api"):
        assert len(ours["answers"][part]) > 90
        assert ours["answers"][part] == theirs["answers"][part], part
    statuses = {row[-2] for row in ours["answers"]["api"]}
    assert statuses == {200, 400, 422}  # answers, and problems with their fields and messages


def test_readiness_says_how_the_core_runs(client: FlaskClient) -> None:
    expected = "compiled" if calc.native_is_current() and os.environ.get("PODCALC_NATIVE") != "false" else "interpreted"
    assert client.get("/readyz").get_json() == {"status": "ready", "core": expected}
    probe = "from api import create_app; print(create_app().test_client().get('/readyz').get_json()['core'])"
    assert _python("-c", probe, PODCALC_NATIVE="false").stdout.strip() == "interpreted"


@pytest.mark.usefixtures("built")
def test_the_package_ships_the_compiled_core(tmp_path: Path) -> None:
    """What the Dockerfile installs: a wheel of the project, calc/_native inside, loaded from it."""
    source = tmp_path / "source"
    _copy(source, "calc", "api", "pyproject.toml", "README.md")
    wheel = _python("-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", "out", ".", cwd=source)
    assert wheel.returncode == 0, wheel.stderr
    (built_wheel,) = (source / "out").glob("podcalc-*.whl")
    with zipfile.ZipFile(built_wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    shipped = {Path(n).name for n in names if n.startswith("calc/_native/")}
    assert shipped == {p.name for p in calc.NATIVE_DIR.iterdir()}
    assert "api/static/index.html" in names
    probe = "import sys; sys.path[0] = sys.argv[1]; import calc.evaluate; print(calc.NATIVE, calc.evaluate.__file__)"
    out = _python("-c", probe, str(tmp_path / "site"), cwd=tmp_path)
    native = tmp_path / "site" / "calc" / "_native" / Path(_so("evaluate")).name
    assert out.stdout.split() == ["True", str(native)]


@pytest.mark.parametrize(
    ("compiler", "said"),
    [
        ("/nonexistent/cc", ["calc/_native: not built, no C compiler (/nonexistent/cc): the core runs interpreted"]),
        ("false", ["calc/_native: the build failed (", "): the core runs interpreted"]),  # a compiler that fails
    ],
    ids=["no compiler", "a failed compile"],
)
def test_a_build_that_cannot_be_made_leaves_the_core_interpreted_but_fails_where_required(
    tmp_path: Path, compiler: str, said: list[str]
) -> None:
    _copy(tmp_path, "calc", "tools", ignore=("_native",))
    lenient = _python("tools/build_core.py", cwd=tmp_path, CC=compiler)
    assert lenient.returncode == 0
    for words in said:
        assert words in lenient.stderr
    assert not (tmp_path / "calc" / "_native").exists()
    assert _python("-c", "import calc; print(calc.NATIVE)", cwd=tmp_path).stdout.strip() == "False"
    assert _python("tools/build_core.py", "--require", cwd=tmp_path, CC=compiler).returncode == 2
