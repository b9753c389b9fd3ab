"""The project as a newcomer meets it: README commands, CI entry point, Dockerfile lint, pure core."""

from __future__ import annotations

import re
import shutil
import subprocess
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    assert readme.index("make run") < 600


def test_ci_runs_the_readme_test_command_and_nothing_else() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-1] == "make test"
    assert all(line.startswith(("set ", "cd ")) for line in lines[:-1])


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__import__("sys").executable).parent / "hadolint")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_non_root_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER \d+", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile
    assert "gunicorn" in dockerfile


def test_calc_is_pure() -> None:
    """No calculation module imports the web, schema, YAML, logging, I/O or application
    layers, and the package itself does nothing on import."""
    forbidden = re.compile(
        r"^\s*(import|from)\s+(flask|marshmallow|werkzeug|yaml|gunicorn|api|podcalc|logging|os|io|sys|pathlib)\b", re.M
    )
    modules = list((ROOT / "calc").glob("*.py"))
    assert len(modules) > 10
    assert [p.name for p in modules if forbidden.search(p.read_text())] == []
    import calc

    defined = {name for name, value in vars(calc).items() if not isinstance(value, types.ModuleType)}
    assert {name for name in defined if not name.startswith("__")} == set()


def test_the_application_never_imports_the_http_layer() -> None:
    """podcalc/ (reading, use cases, rendering, the CLI) imports neither api nor Flask:
    imports run api -> podcalc -> calc (docs/architecture.md)."""
    forbidden = re.compile(r"^\s*(import|from)\s+(flask|werkzeug|gunicorn|api)\b", re.M)
    modules = list((ROOT / "podcalc").rglob("*.py"))
    assert len(modules) > 8
    assert [str(p.relative_to(ROOT)) for p in modules if forbidden.search(p.read_text())] == []


@pytest.mark.parametrize("command", ["effective", "plan", "diff"])
def test_readme_cli_example_is_what_the_cli_prints(command: str) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(rf"```console\n\$ \.venv/bin/podcalc ({command} [^\n]+)\n(.*?)\n(?:\n\$|```)", readme, re.S)
    assert block is not None
    podcalc = Path(__import__("sys").executable).parent / "podcalc"
    args = block.group(1).split()
    result = subprocess.run([str(podcalc), *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.rstrip("\n") == block.group(2)


def test_readme_api_example_figures_are_current() -> None:
    from api import create_app

    readme = (ROOT / "README.md").read_text()
    body = (ROOT / "examples" / "pod.json").read_bytes()
    response = create_app().test_client().post("/v1/effective-resources", data=body, content_type="application/json")
    pod = response.get_json()["items"][0]["pod"]
    for figure in (
        '"requests": {"cpu": "1050m", "memory": "96Mi"}',
        '"limits": {"cpu": "1100m", "memory": "192Mi"}',
        '"qosClass": "Burstable"',
    ):
        assert figure in readme
    assert (pod["requests"], pod["limits"], pod["qosClass"]) == (
        {"cpu": "1050m", "memory": "96Mi"},
        {"cpu": "1100m", "memory": "192Mi"},
        "Burstable",
    )
