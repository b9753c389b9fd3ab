"""Every problem in a YAML text is located by line as well as by document and pointer
(issue 18, item 2): ``podcalc.reading.lines`` follows the pointer in the composed text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from podcalc.errors import InvalidError
from podcalc.reading.lines import compose, line_of, with_lines

PODCALC = str(Path(sys.executable).with_name("podcalc"))

STREAM = """\
apiVersion: v1
kind: Service
metadata: {name: web}
---
# a comment before the Deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: a
        resources:
          requests: {cpu: 1q}
      - name: b
        resources:
          limits:
            memory: 1x
          requests:
            a/b~c: "1"
"""


@pytest.mark.parametrize(
    ("pointer", "line"),
    [
        ("", 6),  # the document's first node, after its comment
        ("/spec", 10),
        ("/spec/template/spec/containers/0", 14),  # a list item: the line of its dash
        ("/spec/template/spec/containers/0/resources/requests/cpu", 16),  # inside a flow mapping
        ("/spec/template/spec/containers/1/resources/limits/memory", 20),  # the line of its key
        ("/spec/template/spec/containers/1/resources/requests/a~1b~0c", 22),  # ~1 is /, ~0 is ~
        ("/spec/template/spec/containers/1/resources/limits/cpu", 19),  # not written: its mapping's key
        ("/spec/template/spec/containers/5/name", 13),  # no such item: the list's key
    ],
)
def test_the_line_of_a_pointer(pointer: str, line: int) -> None:
    nodes = compose(STREAM)
    assert nodes is not None
    assert len(nodes) == 2
    assert line_of(nodes[1], pointer) == line


def test_a_text_that_cannot_be_composed_gives_no_line() -> None:
    err = InvalidError.listing([{"document": 0, "pointer": "/a", "detail": "bad"}])
    assert compose("a: [") is None
    assert with_lines(err, {None: b"a: ["}).errors == [{"document": 0, "pointer": "/a", "detail": "bad"}]


def test_entries_are_given_the_line_of_their_own_file() -> None:
    """By ``source`` (the CLI's files, documents numbered within each); a line already known
    (a duplicate key's) is kept; an entry of a text not given (a diff side) gets none."""
    err = InvalidError.listing(
        [
            {
                "document": 3,
                "source": "b.yaml document 1",
                "pointer": "/spec/template/spec/containers/1",
                "detail": "x",
            },
            {"document": 0, "source": "a.yaml document 0", "pointer": "/b", "detail": "y"},
            {"document": 1, "source": "a.yaml document 0", "pointer": "/b", "detail": "z", "line": 9},
            {"document": 0, "source": "cluster document 0", "pointer": "/b", "detail": "w"},
            {"parameter": "nodes", "detail": "v"},
        ]
    )
    with_lines(err, {"a.yaml": b"a: 1\nb: 2\n", "b.yaml": STREAM.encode()})
    assert [e.get("line") for e in err.errors or []] == [17, 2, 9, None, None]


def test_a_yaml_body_s_problems_carry_their_line(client: FlaskClient) -> None:
    response = client.post("/v1/effective-resources", data=STREAM, content_type="application/yaml")
    assert response.status_code == 422
    assert [(e["document"], e["pointer"], e["line"]) for e in response.get_json()["errors"]] == [
        (1, "/spec/template/spec/containers/0/resources/requests/cpu", 16),
        (1, "/spec/template/spec/containers/1/resources/limits/memory", 20),
    ]


def test_a_json_body_s_problems_carry_none(client: FlaskClient) -> None:
    body = (
        '{"kind": "Pod", "metadata": {"name": "p"},\n "spec": {"containers": [{"name": "a",\n'
        ' "resources": {"requests": {"cpu": "1q"}}}]}}'
    )
    response = client.post("/v1/effective-resources", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "line" not in response.get_json()["errors"][0]


def test_the_cli_writes_file_colon_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: Service\nmetadata: {name: s}\n")
    (tmp_path / "b.yaml").write_text(STREAM)
    result = subprocess.run(
        [PODCALC, "effective", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[1].startswith(
        f"  {tmp_path / 'b.yaml'}:16 document 1 Deployment/web "
        "/spec/template/spec/containers/0/resources/requests/cpu: invalid quantity '1q'"
    )
    assert lines[2].startswith(f"  {tmp_path / 'b.yaml'}:20 document 1 Deployment/web ")
