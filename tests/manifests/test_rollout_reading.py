"""A workload's update strategy as written (``podcalc.reading.rollout``), and the
``{"cluster", "manifests"}`` body of a plan on a snapshot (``podcalc.reading.snapshot.read_envelope``)."""

from __future__ import annotations

from typing import Any

import pytest

from calc.rollout import Strategy
from podcalc.errors import InvalidError
from podcalc.reading.limits import DEFAULT_LIMITS
from podcalc.reading.manifests import Document, Workload, classify
from podcalc.reading.rollout import read_strategy, strategy_path
from podcalc.reading.snapshot import read_envelope


def _workload(obj: dict[str, Any], path: tuple[str | int, ...] = ()) -> Workload:
    what = classify(obj, path)
    assert isinstance(what, Workload)
    return what


def _read(kind: str, spec: dict[str, Any]) -> Strategy:
    obj = {"kind": kind, "metadata": {"name": "web"}, "spec": spec}
    return read_strategy(Document(0, obj), _workload(obj))


def test_a_deployment_reads_its_strategy_and_the_others_their_update_strategy() -> None:
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0, "partition": 2}}
    template = {"template": {"spec": {"containers": [{"name": "app"}]}}}
    assert _read("Deployment", {"strategy": rolling, **template}) == Strategy("RollingUpdate", "50%", 0, 2)
    assert _read("Deployment", {"updateStrategy": rolling, **template}) == Strategy()
    assert _read("DaemonSet", {"updateStrategy": rolling, **template}) == Strategy("RollingUpdate", "50%", 0, 2)
    written = {"updateStrategy": rolling, "podManagementPolicy": "Parallel", **template}
    assert _read("StatefulSet", written) == Strategy("RollingUpdate", "50%", 0, 2, "Parallel")


def test_what_is_not_an_object_reads_as_empty() -> None:
    template = {"template": {"spec": {"containers": [{"name": "app"}]}}}
    assert _read("Deployment", {"strategy": "Recreate", **template}) == Strategy()
    assert _read("DaemonSet", {"updateStrategy": {"type": 3, "rollingUpdate": [1]}, **template}) == Strategy(3)


def test_a_workload_inside_a_list_is_read_where_it_stands() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"strategy": {"type": "Recreate"}, "template": {"spec": {"containers": [{"name": "app"}]}}},
    }
    document = Document(0, {"kind": "List", "items": [{"kind": "ConfigMap"}, deployment]})
    workload = _workload(deployment, ("items", 1))
    assert read_strategy(document, workload) == Strategy("Recreate")
    assert strategy_path(workload, "type") == ("items", 1, "spec", "strategy", "type")
    stateful = _workload({"kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {}})
    assert strategy_path(stateful, "rollingUpdate") == ("spec", "updateStrategy", "rollingUpdate")


def _sides(value: Any) -> tuple[list[Any], list[Any]] | None:
    """The sides ``read_envelope`` reads of a stream of one document, as (source, value) pairs."""
    read = read_envelope([Document(0, value)], DEFAULT_LIMITS)
    return None if read is None else ([(d.source, d.value) for d in read[0]], [(d.source, d.value) for d in read[1]])


def test_an_envelope_is_one_object_with_a_cluster_and_no_kind() -> None:
    pod = {"kind": "Pod"}
    assert _sides({"cluster": "a: 1\n---\nb: 2\n", "manifests": [pod]}) == (
        [("cluster document 0", {"a": 1}), ("cluster document 1", {"b": 2})],
        [("manifests document 0", pod)],
    )
    assert _sides({"cluster": pod}) == ([("cluster document 0", pod)], [])
    assert _sides({"kind": "Pod", "cluster": "x"}) is None
    assert _sides({"manifests": "x"}) is None
    assert _sides(["cluster"]) is None
    assert read_envelope([Document(0, {"cluster": "x"}), Document(1, {"cluster": "y"})], DEFAULT_LIMITS) is None


@pytest.mark.parametrize(
    ("body", "pointer", "detail"),
    [
        ({"cluster": "", "zones": 1, "changes": 2}, "/changes", "unknown field: the body takes cluster and manifests"),
        ({"cluster": 3}, "/cluster", "must be a YAML or JSON stream (a string), a manifest, or a list of manifests"),
        (
            {"cluster": [], "manifests": True},
            "/manifests",
            "must be a YAML or JSON stream (a string), a manifest, or a list of manifests",
        ),
    ],
)
def test_an_envelope_that_cannot_be_read_is_refused_at_its_pointer(
    body: dict[str, Any], pointer: str, detail: str
) -> None:
    with pytest.raises(InvalidError) as caught:
        read_envelope([Document(0, body)], DEFAULT_LIMITS)
    assert caught.value.errors == [{"pointer": pointer, "detail": detail}]
