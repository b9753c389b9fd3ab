"""Manifests through the HTTP API: YAML streams, every workload kind, totals, units, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

EFFECTIVE = "/v1/effective-resources"
DATA = Path(__file__).resolve().parents[1] / "data"


def post_yaml(client: FlaskClient, text: str, query: str = "", content_type: str = "application/yaml") -> Any:
    return client.post(EFFECTIVE + query, data=text, content_type=content_type)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


STREAM = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        resources: {requests: {cpu: 0.25, memory: 256Mi}, limits: {memory: 512Mi}}
      initContainers:
      - name: mesh
        restartPolicy: Always
        resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}}
---
# an empty document, as Helm output has
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    spec:
      containers:
      - name: agent
        resources: {limits: {cpu: 100m, memory: 128Mi}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      parallelism: 4
      completions: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            resources: {requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "1", memory: 1Gi}}
"""


def test_a_yaml_stream_mixing_kinds(client: FlaskClient) -> None:
    body = ok(post_yaml(client, STREAM))
    summary = [
        (
            i["kind"],
            i["name"],
            i["namespace"],
            i["document"],
            i["replicas"],
            i["podsPerNode"],
            i["pods"],
            i["pod"]["qosClass"],
        )
        for i in body["items"]
    ]
    assert summary == [
        ("Deployment", "web", "shop", 1, 3, None, 3, "Burstable"),
        ("DaemonSet", "agent", "kube-system", 3, None, 1, None, "Guaranteed"),
        ("CronJob", "report", "shop", 4, 2, None, 2, "Guaranteed"),
    ]
    web, agent, report = body["items"]
    assert web["pod"]["requests"] == {"cpu": "300m", "memory": "320Mi"}
    assert web["total"] == {
        "requests": {"cpu": "900m", "memory": "960Mi"},
        "limits": {"cpu": "300m", "memory": "1728Mi"},
        "unboundedLimits": ["cpu", "ephemeral-storage"],
    }
    assert agent["total"] is None
    assert report["total"]["requests"] == {"cpu": "2", "memory": "2Gi"}
    assert body["skipped"] == [
        {
            "document": 0,
            "path": "",
            "kind": "Service",
            "name": "web",
            "namespace": "shop",
            "reason": "a Service has no pod template: it runs no pods",
        }
    ]
    total = body["total"]
    assert (total["pods"], total["complete"]) == (5, False)
    assert total["requests"] == {"cpu": "2900m", "memory": "3008Mi"}
    assert total["notes"] == ["DaemonSet agent runs one pod per node: give a node count (nodes=N) to count it"]
    assert [(g["namespace"], g["pods"], g["requests"]) for g in total["byNamespace"]] == [
        ("shop", 5, {"cpu": "2900m", "memory": "3008Mi"})
    ]


def test_daemonsets_count_once_per_node(client: FlaskClient) -> None:
    body = ok(post_yaml(client, STREAM, "?nodes=10"))
    agent = body["items"][1]
    assert (agent["pods"], agent["total"]["requests"]) == (10, {"cpu": "1", "memory": "1280Mi"})
    total = body["total"]
    assert (total["pods"], total["complete"], total["notes"]) == (15, True, [])
    assert total["requests"] == {"cpu": "3900m", "memory": "4288Mi"}
    assert [(g["namespace"], g["pods"]) for g in total["byNamespace"]] == [("shop", 5), ("kube-system", 10)]


def test_a_repeated_parameter_counts_once_its_first_value(client: FlaskClient) -> None:
    """As werkzeug's ``request.args.get`` reads it: the first ``nodes``, the first unit."""
    body = ok(post_yaml(client, STREAM, "?nodes=10&nodes=3&unit[cpu]=cores&unit[cpu]=m"))
    assert (body["items"][1]["pods"], body["total"]["pods"]) == (10, 15)
    assert body["total"]["inUnits"]["units"] == {"cpu": "cores"}
    assert body["total"]["inUnits"]["requests"] == {"cpu": "3.9"}


@pytest.mark.parametrize("query", ["?unit[memory]=GiB&unit[cpu]=cores", "?unit.memory=GiB&unit.cpu=cores"])
def test_figures_in_chosen_units(client: FlaskClient, query: str) -> None:
    body = ok(post_yaml(client, STREAM, query + "&nodes=10"))
    units = {"units": {"cpu": "cores", "memory": "GiB"}}
    assert body["total"]["inUnits"] == units | {
        "requests": {"cpu": "3.9", "memory": "4.1875"},
        "limits": {"cpu": "3.3", "memory": "4.9375"},
    }
    assert body["items"][0]["pod"]["inUnits"] == units | {
        "requests": {"cpu": "0.3", "memory": "0.3125"},
        "limits": {"cpu": "0.1", "memory": "0.5625"},
    }


@pytest.mark.parametrize(
    ("query", "parameter", "detail"),
    [
        ("?unit[cpu]=GiB", "unit.cpu", "'GiB' measures bytes, but cpu is counted in cores"),
        ("?unit[memory]=furlongs", "unit.memory", "unknown unit"),
        ("?nodes=many", "nodes", "must be a whole number of nodes"),
        ("?nodes=-1", "nodes", "must be a whole number of nodes"),
    ],
)
def test_bad_parameters_are_400(client: FlaskClient, query: str, parameter: str, detail: str) -> None:
    response = post_yaml(client, STREAM, query)
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["parameter"] == parameter
    assert detail in error["detail"]


@pytest.mark.parametrize("content_type", ["application/yaml", "application/x-yaml", "text/yaml"])
def test_yaml_content_types(client: FlaskClient, content_type: str) -> None:
    body = ok(post_yaml(client, "containers: [{name: a, resources: {requests: {cpu: 1}}}]", content_type=content_type))
    assert body["items"][0]["kind"] == "PodSpec"


def test_kubectl_get_lists(client: FlaskClient) -> None:
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DeploymentList
  items:
  - kind: Deployment
    metadata: {name: a}
    spec: {replicas: 2, template: {spec: {containers: [{name: a, resources: {requests: {cpu: 100m}}}]}}}
- kind: ConfigMap
  metadata: {name: settings}
- kind: PodTemplate
  metadata: {name: t}
  template: {spec: {containers: [{name: t, resources: {requests: {memory: 1Gi}}}]}}
"""
    body = ok(post_yaml(client, text))
    assert [(i["kind"], i["name"], i["path"], i["pods"]) for i in body["items"]] == [
        ("Deployment", "a", "/items/0/items/0", 2),
        ("PodTemplate", "t", "/items/2", 1),
    ]
    assert [(s["kind"], s["path"]) for s in body["skipped"]] == [("ConfigMap", "/items/1")]
    assert body["total"]["requests"] == {"cpu": "200m", "memory": "1Gi"}


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("1.500", "1500m"),  # kubectl sends YAML floats through a float64: 1.5
        ("1e3", "1k"),  # go-yaml reads 1e3 as a float (PyYAML: a string); 1000 prints 1k
        ("2E6", "2M"),
        ("1e-3", "1m"),
        ("0.1", "100m"),
        ("08", "8"),  # not octal: go-yaml reads the float 8
        ("010", "8"),  # octal
        ("0x10", "16"),
        ("128974848", "128974848"),
        ('"1.500"', "1.500"),  # a string reaches the API server as written, and is kept
        ('"1e3"', "1e3"),
        ("0.5Gi", "512Mi"),
    ],
)
def test_yaml_numbers_reach_kubernetes_as_kubectl_sends_them(client: FlaskClient, written: str, stored: str) -> None:
    text = f"containers: [{{name: a, resources: {{requests: {{cpu: {written}}}}}}}]"
    assert ok(post_yaml(client, text))["items"][0]["pod"]["requests"] == {"cpu": stored}


def test_yaml_base_60_is_not_a_number(client: FlaskClient) -> None:
    # PyYAML reads 1:30 as 90; go-yaml, and so kubectl, keeps the string, which is no quantity
    response = post_yaml(client, "containers: [{name: a, resources: {requests: {cpu: 1:30}}}]")
    assert response.status_code == 422
    assert "invalid quantity '1:30'" in response.get_json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("text", "pointer", "detail"),
    [
        ("containers: [{name: a, resources: {requests: {1: 500m}}}]", "/containers/0/resources/requests/1", "a resource name must be a string"),  # noqa: E501
        ("kind: Pod\nmetadata: {name: 1.5}\nspec: {containers: [{name: a}]}", "/metadata/name", "must be a string"),
        ("containers: [{name: 2.5}]", "/containers/0/name", "Not a valid string."),
        ("kind: Deployment\nspec: {replicas: 3000000000, template: {spec: {containers: [{name: a}]}}}", "/spec/replicas", "must be less than or equal to 2147483647"),  # noqa: E501
    ],
)  # fmt: skip
def test_yaml_values_of_the_wrong_type(client: FlaskClient, text: str, pointer: str, detail: str) -> None:
    response = post_yaml(client, text)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert (errors[0]["pointer"], errors[0]["detail"]) == (pointer, detail)


def test_aliases_cannot_nest_deeper_than_the_limit(client: FlaskClient) -> None:
    # an anchor defined shallow and used deep: 40 Lists of 30 levels, chained through aliases
    lines = ["defs:", "- &A0 {containers: [{name: a}]}"]
    for i in range(1, 41):
        lines.append(f"- &A{i} " + "{kind: List, items: [" * 30 + f"*A{i - 1}" + "]}" * 30)
    lines.append("kind: List\nitems: [*A40]")
    response = post_yaml(client, "\n".join(lines))
    assert response.status_code == 413
    assert "nested more than 64 levels deep" in response.get_json()["detail"]


def test_every_problem_of_every_document_is_listed(client: FlaskClient) -> None:
    text = """\
kind: Deployment
metadata: {name: good}
spec: {template: {spec: {containers: [{name: a}]}}}
---
kind: Deployment
metadata: {name: bad}
spec:
  replicas: three
  template:
    spec:
      containers:
      - name: a
        resources: {limits: {cpu: 2 GiB}}
---
kind: List
items:
- kind: Job
  metadata: {name: j}
  spec: {template: {spec: {containers: [{name: b, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}]}}}
"""
    response = post_yaml(client, text)
    assert response.status_code == 422
    body = response.get_json()
    assert [(e["document"], e.get("kind"), e.get("name"), e["pointer"]) for e in body["errors"]] == [
        (1, None, None, "/spec/replicas"),
        (2, "Job", "j", "/items/0/spec/template/spec/containers/0/resources/requests/cpu"),
    ]
    assert "document 1 /spec/replicas: must be a whole number" in body["detail"]
    # once the replicas are fixed, the quantity in that document is reported too
    response = post_yaml(client, text.replace("replicas: three", "replicas: 3"))
    errors = response.get_json()["errors"]
    assert (errors[0]["document"], errors[0]["pointer"]) == (
        1,
        "/spec/template/spec/containers/0/resources/limits/cpu",
    )
    assert "is an amount of bytes, but cpu takes cores" in errors[0]["detail"]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("kind: Pod\nspec: [unclosed", "at line 3 column 1"),
        ("a: b\n c: d", "at line 2 column"),
        ("!!python/object:os.system {}", "could not determine a constructor"),
        ("? [a, b]\n: c", "unhashable"),
        ("a: !!timestamp x", "a value does not fit its tag"),
        ("a: !!bool maybe", "a value does not fit its tag"),
        ("a: !!int x", "invalid literal for int()"),
    ],
)
def test_unreadable_yaml_is_400(client: FlaskClient, text: str, detail: str) -> None:
    response = post_yaml(client, text)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["title"] == "Malformed YAML"
    assert detail in response.get_json()["detail"]


def test_a_yaml_scalar_document_is_an_error(client: FlaskClient) -> None:
    response = post_yaml(client, "just text")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"document": 0, "pointer": "", "detail": "expected an object (a Kubernetes manifest or a PodSpec)", "line": 1}
    ]


def _doc_examples() -> list[str]:
    """The sidecar reference's Deployment and Job examples, as copied into tests/data."""
    return [(DATA / name).read_text() for name in ("sidecar-doc-deployment.yaml", "sidecar-doc-job.yaml")]


def test_the_sidecar_documentation_examples_as_written(client: FlaskClient) -> None:
    deployment, job = _doc_examples()
    body = ok(post_yaml(client, deployment))
    item = body["items"][0]
    assert (item["kind"], item["name"], item["pods"], item["pod"]["qosClass"]) == (
        "Deployment",
        "myapp",
        2,
        "BestEffort",
    )
    assert item["pod"]["unboundedLimits"] == ["cpu", "memory", "ephemeral-storage"]
    body = ok(post_yaml(client, job))
    item = body["items"][0]
    assert (item["kind"], item["name"], item["pods"]) == ("Job", "myjob", 1)
    assert [(c["name"], c["type"]) for c in item["pod"]["containers"]] == [
        ("myjob", "container"),
        ("logshipper", "sidecar"),
    ]
    assert [p["id"] for p in item["pod"]["phases"]] == ["sidecar:logshipper", "running"]


def test_the_sidecar_documentation_examples_with_resources(client: FlaskClient) -> None:
    deployment, job = _doc_examples()
    with_resources = deployment.replace(
        '        image: alpine:latest\n        command: [ "sh", "-c", "while',
        "        image: alpine:latest\n"
        "        resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}\n"
        '        command: [ "sh", "-c", "while',
    ).replace(
        '        command: [ "sh", "-c", "tail',
        "        resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}\n"
        '        command: [ "sh", "-c", "tail',
    )
    body = ok(post_yaml(client, with_resources))
    item = body["items"][0]
    assert item["pod"]["requests"] == {"cpu": "300m", "memory": "96Mi"}
    assert item["total"]["requests"] == {"cpu": "600m", "memory": "192Mi"}
    assert item["total"]["limits"] == {"cpu": "1200m", "memory": "384Mi"}

    job_with_resources = job.replace(
        "          restartPolicy: Always\n",
        "          restartPolicy: Always\n"
        "          resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {cpu: 50m, memory: 32Mi}}\n",
    ).replace(
        "          image: alpine:latest\n          command: ['sh', '-c', 'echo",
        "          image: alpine:latest\n          resources: {limits: {cpu: 500m, memory: 128Mi}}\n"
        "          command: ['sh', '-c', 'echo",
    )
    item = ok(post_yaml(client, job_with_resources))["items"][0]
    assert item["pod"]["requests"] == {"cpu": "550m", "memory": "160Mi"}
    assert item["pod"]["qosClass"] == "Guaranteed"
    assert item["pod"]["unboundedLimits"] == ["ephemeral-storage"]


def test_json_list_body(client: FlaskClient) -> None:
    body = {
        "kind": "PodList",
        "items": [
            {"kind": "Pod", "metadata": {"name": f"p{i}"}, "spec": {"containers": [{"name": "a"}]}} for i in range(3)
        ],
    }
    result = ok(client.post(EFFECTIVE, data=json.dumps(body), content_type="application/json"))
    assert [i["path"] for i in result["items"]] == ["/items/0", "/items/1", "/items/2"]
    assert result["total"]["pods"] == 3


def test_a_billion_laughs_stream_is_refused_fast(client: FlaskClient) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(8):  # 9^9 nodes once expanded, from 400 bytes
        lines.append(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]")
    response = post_yaml(client, "\n".join(lines) + "\nkind: Pod\nspec: {containers: [{name: c}]}\n")
    assert response.status_code == 413
    assert (
        response.get_json()["detail"] == "the body expands to too many values: the limit is 300,000 (PODCALC_MAX_NODES)"
    )


def test_a_billion_laughs_inside_an_omap_is_refused(client: FlaskClient) -> None:
    """!!omap and !!pairs load as (key, value) tuples: the size limits count inside them too."""
    entries = ["k0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    entries += [f"k{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    text = "kind: Pod\nspec: {containers: [{name: a}]}\nx: !!omap [" + ", ".join(entries) + "]\n"
    response = post_yaml(client, text)
    assert response.status_code == 413
    assert response.get_json()["detail"].endswith("(PODCALC_MAX_NODES)")


def test_a_few_aliases_are_fine(client: FlaskClient) -> None:
    text = "x: &r {requests: {cpu: 100m}}\ncontainers:\n- {name: a, resources: *r}\n- {name: b, resources: *r}\n"
    assert ok(post_yaml(client, text))["items"][0]["pod"]["requests"] == {"cpu": "200m"}


def test_a_duplicate_key_is_refused_not_counted_against_the_limits(client: FlaskClient) -> None:
    """Two equal keys are refused, as Kubernetes' strict decoding refuses them (issue 19); the
    first value, nested past the depth limit, is dropped before the size limits count, so the
    answer is the duplicate (422), not a 413."""
    deep = "[" * 70 + "x" + "]" * 70
    text = f"kind: Pod\nmetadata:\n  name: p\n  labels: {deep}\n  labels: {{}}\nspec: {{containers: [{{name: a}}]}}\n"
    response = post_yaml(client, text)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {
            "document": 0,
            "pointer": "/metadata/labels",
            "detail": 'duplicate key "labels": first at line 4, again at line 5',
            "line": 5,
        }
    ]


def test_nodes_parameter_must_be_ascii_digits(client: FlaskClient) -> None:
    response = post_yaml(client, STREAM, "?nodes=%C2%B2")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["parameter"] == "nodes"


def test_a_lone_surrogate_in_a_json_name_is_answered(client: FlaskClient) -> None:
    body = '{"kind":"Pod","metadata":{"name":"x\\ud800"},"spec":{"containers":[{"name":"a"}]}}'
    response = client.post(EFFECTIVE, data=body, content_type="application/json")
    assert response.status_code == 200
    assert b'"x\\ud800"' in response.data  # escaped: not valid UTF-8 on its own
    assert response.get_json()["items"][0]["name"] == "x\ud800"


@pytest.mark.parametrize(
    "text",
    [
        "[" * 350 + "]" * 350,
        "a: " + "{a: " * 985 + "1" + "}" * 985,
        "{<<: {b: 1}, c: " + "[" * 300 + "x" + "]" * 300 + "}",  # a merge key: PyYAML's own construction
    ],
    ids=["sequences", "mappings", "after a merge key"],
)
def test_deep_yaml_is_refused_by_the_depth_limit(client: FlaskClient, text: str) -> None:
    response = post_yaml(client, text)
    assert response.status_code == 413, response.get_json()
    assert "nested more than 64 levels deep" in response.get_json()["detail"]
