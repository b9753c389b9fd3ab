"""A key written twice in one object is refused, in YAML and in JSON, as Kubernetes' strict
decoding refuses a duplicate field (issue 19, item 3): by document, JSON pointer and both lines.

YAML would keep the last value silently (``{cpu: 100m, cpu: 2}`` read as 2), and two manifests
joined without ``---`` would read as one object, the last ``kind`` winning.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from podcalc.errors import InvalidError, MalformedError, TooLargeError
from podcalc.reading.decoded import DuplicateKeyError
from podcalc.reading.documents import loads_exact, read_documents
from podcalc.reading.limits import Limits
from podcalc.reading.yaml_stream import load_yaml_stream

PODCALC = shutil.which("podcalc", path=str(Path(sys.executable).parent)) or "podcalc"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
            cpu: "2"
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
"""


def entry(document: int, at: str, key: str, first: int, again: int) -> dict[str, Any]:
    detail = f'duplicate key "{key}": first at line {first}, again at line {again}'
    return {"document": document, "pointer": at, "detail": detail, "line": again}


# (text, the errors entries): each repeated key, in the stream's order
YAML_CASES = {
    "nested resources key": (
        DEPLOYMENT,
        [entry(0, "/spec/template/spec/containers/0/resources/requests/cpu", "cpu", 15, 17)],
    ),
    "two files joined without ---": (
        DEPLOYMENT.replace('            cpu: "2"\n', "") + SERVICE,
        [
            entry(0, "/apiVersion", "apiVersion", 1, 17),
            entry(0, "/kind", "kind", 2, 18),
            entry(0, "/metadata", "metadata", 3, 19),
            entry(0, "/spec", "spec", 5, 21),
        ],
    ),
    "in a list item": (
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n  - name: b\n    image: x\n    name: c\n",
        [entry(0, "/spec/containers/1/name", "name", 6, 8)],
    ),
    "in the second document of a stream": (
        SERVICE + "---\n" + DEPLOYMENT,
        [entry(1, "/spec/template/spec/containers/0/resources/requests/cpu", "cpu", 22, 24)],
    ),
    "a quoted key is the same key": (
        "kind: Pod\n'kind': Service\n",
        [entry(0, "/kind", "kind", 1, 2)],
    ),
    "each repeat against the first": (
        "a: 1\nb: 2\na: 3\na: 4\n",
        [entry(0, "/a", "a", 1, 3), entry(0, "/a", "a", 1, 4)],
    ),
    "a key escaped in the pointer": (
        "metadata:\n  annotations:\n    example.com/a~b: x\n    example.com/a~b: y\n",
        [entry(0, "/metadata/annotations/example.com~1a~0b", "example.com/a~b", 3, 4)],
    ),
    "in a mapping an alias uses: named where it is written": (
        "x: &r {cpu: 1,\n  cpu: 2}\ncontainers:\n- {name: a, resources: *r}\n- {name: b, resources: *r}\n",
        [entry(0, "/x/cpu", "cpu", 1, 2)],
    ),
    "beside a merge key": (
        "base: &b {cpu: 1}\nmerged:\n  <<: *b\n  memory: 1Gi\n  memory: 2Gi\n",
        [entry(0, "/merged/memory", "memory", 4, 5)],
    ),
    "under a merge key (a mapping PyYAML builds)": (
        "base: &b {cpu: 1}\nmerged:\n  <<: *b\n  limits:\n    cpu: 1\n    cpu: 2\n",
        [entry(0, "/merged/limits/cpu", "cpu", 5, 6)],
    ),
}


@pytest.mark.parametrize(("text", "errors"), YAML_CASES.values(), ids=YAML_CASES.keys())
def test_a_repeated_yaml_key_is_refused(text: str, errors: list[dict[str, Any]]) -> None:
    with pytest.raises(DuplicateKeyError) as refused:
        read_documents(text.encode(), "application/yaml")
    assert refused.value.errors == errors
    assert refused.value.title == "Invalid input"
    assert refused.value.detail == f"{len(errors)} problem(s): " + "; ".join(
        f"document {e['document']} {e['pointer']}: {e['detail']}" for e in errors
    )


def test_the_detail_names_the_key_the_document_and_both_lines() -> None:
    with pytest.raises(InvalidError) as refused:
        load_yaml_stream(SERVICE + "---\n" + DEPLOYMENT)
    assert refused.value.detail == (
        "1 problem(s): document 1 /spec/template/spec/containers/0/resources/requests/cpu: "
        'duplicate key "cpu": first at line 22, again at line 24'
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (
            "requests: {cpu: 100m, cpu: 2}\n",
            'duplicate key "cpu": first at line 1 column 12, again at line 1 column 23',
        ),
        ('{"a": 1, "a": 2}', 'duplicate key "a": first at line 1 column 2, again at line 1 column 10'),
    ],
    ids=["yaml flow mapping", "one-line json"],
)
def test_on_one_line_the_columns_are_named_too(text: str, detail: str) -> None:
    with pytest.raises(DuplicateKeyError) as refused:
        read_documents(text.encode(), "application/json" if text.startswith("{") else "application/yaml")
    assert [e["detail"] for e in refused.value.errors or []] == [detail]
    assert [e["line"] for e in refused.value.errors or []] == [1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("base: &b {cpu: 1, memory: 2Gi}\nmerged:\n  <<: *b\n  cpu: 2\n", {"cpu": 2, "memory": "2Gi"}),
        ("a: &a {x: 1}\nb: &b {x: 2}\nmerged:\n  <<: [*a, *b]\n", {"x": 1}),
        ("a: &a {x: 1}\nmerged:\n  x: 2\n  <<: *a\n", {"x": 2}),
    ],
    ids=["overridden after the merge", "in two merged mappings", "overridden before the merge"],
)
def test_a_key_a_merge_brings_in_may_be_written_again(text: str, expected: dict[str, Any]) -> None:
    """As go-yaml reads merge keys (kubectl): an explicit key overrides a merged one."""
    (document,) = load_yaml_stream(text)
    assert document["merged"] == expected


@pytest.mark.parametrize(
    "text",
    ["{true: 1, 1: 2}\n", "1: a\n'1': b\n", "!!pairs [a: 1, a: 2]\n", "a: 1\n---\na: 2\n"],
    ids=["true and 1 (one key in Python, two in go-yaml)", "1 and '1'", "pairs", "one key a document"],
)
def test_keys_that_are_not_the_same_string_are_not_refused(text: str) -> None:
    assert load_yaml_stream(text)


JSON_CASES = {
    "nested": (
        '{"kind": "Pod",\n "spec": {"containers": [{"name": "a",\n  "resources": {"limits": {"cpu": "1",\n'
        '   "cpu": "2"}}}]}}',
        [entry(0, "/spec/containers/0/resources/limits/cpu", "cpu", 3, 4)],
    ),
    "top level": (
        '{\n  "kind": "Deployment",\n  "metadata": {"name": "web"},\n  "kind": "Service"\n}\n',
        [entry(0, "/kind", "kind", 2, 4)],
    ),
    "in a list, after others": (
        '{"items": [{"a": 1}, [], {},\n  {"b": {"c": 1}, "d": [1, 2,\n  {"e": 1,\n "e": 2}]}]}',
        [entry(0, "/items/3/d/2/e", "e", 3, 4)],
    ),
    "an escaped key": (
        '{"a\\u007eb": 1,\n"a~b": 2}',
        [entry(0, "/a~0b", "a~b", 1, 2)],
    ),
}


@pytest.mark.parametrize(("text", "errors"), JSON_CASES.values(), ids=JSON_CASES.keys())
def test_a_repeated_json_key_is_refused(text: str, errors: list[dict[str, Any]]) -> None:
    with pytest.raises(DuplicateKeyError) as refused:
        read_documents(text.encode(), "application/json")
    assert refused.value.errors == errors
    with pytest.raises(DuplicateKeyError) as again:
        loads_exact(text)
    assert again.value.errors == errors


def test_json_numbers_stay_exact() -> None:
    (document,) = read_documents(b'{"cpu": 0.1, "n": 10, "big": 1e400}', "application/json")
    assert document == {"cpu": loads_exact("0.1"), "n": 10, "big": loads_exact("1e400")}
    assert str(document["cpu"]) == "0.1"


@pytest.mark.parametrize(
    ("text", "error", "detail"),
    [
        ('{"a": 1, "a": 2, "b": }', MalformedError, "Expecting value at line 1 column 23 (char 22)"),
        ('{"a": NaN, "a": 1}', MalformedError, "NaN is not valid JSON"),
        ('{"a": 1, "a": [[[[1]]]]}', TooLargeError, "values nested more than 3 levels deep"),
    ],
    ids=["malformed further on", "NaN", "too deep"],
)
def test_json_that_cannot_be_read_or_is_too_large_is_refused_as_such_first(
    text: str, error: type[Exception], detail: str
) -> None:
    with pytest.raises(error) as refused:
        read_documents(text.encode(), "application/json", Limits(depth=3))
    assert str(refused.value).startswith(detail)


def test_yaml_too_large_is_refused_as_such_first() -> None:
    with pytest.raises(TooLargeError):
        load_yaml_stream("a: 1\na: [[[[1]]]]\nb: [[[[1]]]]\n", Limits(depth=3))


def test_a_value_dropped_for_its_key_is_not_counted_against_the_limits() -> None:
    """The first value of a repeated key is not kept: the refusal is the duplicate, not its size."""
    with pytest.raises(DuplicateKeyError):
        load_yaml_stream("a: [[[[1]]]]\na: 1\n", Limits(depth=3))


def test_the_api_answers_422_with_each_duplicate(client: FlaskClient) -> None:
    response = client.post(
        "/v1/effective-resources", data=SERVICE + "---\n" + DEPLOYMENT, content_type="application/yaml"
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["title"] == "Invalid input"
    assert body["errors"] == [entry(1, "/spec/template/spec/containers/0/resources/requests/cpu", "cpu", 22, 24)]
    assert body["detail"] == (
        "1 problem(s): document 1 /spec/template/spec/containers/0/resources/requests/cpu: "
        'duplicate key "cpu": first at line 22, again at line 24'
    )


def test_the_api_refuses_a_duplicate_in_json_too(client: FlaskClient) -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}}
    text = json.dumps(pod, indent=1).replace('"kind": "Pod",', '"kind": "Pod",\n "kind": "Service",')
    response = client.post("/v1/effective-resources", data=text, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [entry(0, "/kind", "kind", 2, 3)]


def test_the_cli_names_the_file_the_document_the_key_and_both_lines(tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(SERVICE + "---\n" + DEPLOYMENT)
    result = subprocess.run(
        [PODCALC, "effective", str(manifest)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "podcalc: invalid input:\n"
        f"  {manifest}:24 document 1 /spec/template/spec/containers/0/resources/requests/cpu: "
        'duplicate key "cpu": first at line 22, again at line 24\n'
    )
