"""Where unit expressions are looked for (``podcalc.reading.expressions``): every resource list
each kind keeps, at its own pointer, and nowhere else."""

from __future__ import annotations

import re
from typing import Any

import pytest

from podcalc.reading.expressions import ANY, _tree, unit_expression_warnings
from podcalc.reading.limits import DEFAULT_LIMITS
from podcalc.reading.manifests import Document, collect


def _pointers(*objects: Any) -> list[tuple[int, str, str, str]]:
    found = collect([Document(i, o) for i, o in enumerate(objects)], DEFAULT_LIMITS)
    return [(w["document"], w["pointer"], w["value"], w["suggested"]) for w in unit_expression_warnings(found)]


def _requirements(cpu: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu}, "limits": {"memory": "1 GiB"}}


def test_each_resource_list_of_a_statefulset_is_looked_at() -> None:
    statefulset = {
        "kind": "StatefulSet",
        "spec": {
            "template": {
                "spec": {
                    "initContainers": [{"name": "i", "resources": _requirements("2 cores")}],
                    "containers": [{"name": "a"}, {"name": "b", "resources": _requirements("0.5 cores")}],
                    "overhead": {"memory": "64 MiB"},
                    "resources": {"limits": {"cpu": "1"}},  # in the grammar: no warning
                }
            },
            "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "10 GiB"}}}}],
        },
    }
    assert _pointers(statefulset) == [
        (0, "/spec/template/spec/containers/1/resources/requests/cpu", "0.5 cores", "500m"),
        (0, "/spec/template/spec/containers/1/resources/limits/memory", "1 GiB", "1Gi"),
        (0, "/spec/template/spec/initContainers/0/resources/requests/cpu", "2 cores", "2"),
        (0, "/spec/template/spec/initContainers/0/resources/limits/memory", "1 GiB", "1Gi"),
        (0, "/spec/template/spec/overhead/memory", "64 MiB", "64Mi"),
        (0, "/spec/volumeClaimTemplates/0/spec/resources/requests/storage", "10 GiB", "10Gi"),
    ]


def test_other_kinds_lists_and_a_bare_podspec() -> None:
    items = [
        {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "resources": {"requests": {"memory": "512 MB"}}}
        ]}}}}}},
        {"kind": "RuntimeClass", "overhead": {"podFixed": {"memory": "120 MiB"}}},
        {"kind": "PersistentVolumeClaim", "spec": {"resources": {"requests": {"storage": "1 GiB"}}}},
        {"kind": "LimitRange", "spec": {"limits": [{"type": "Container", "max": {"cpu": "4 cores"}}]}},
    ]  # fmt: skip
    bare = {"containers": [{"name": "a", "resources": {"limits": {"memory": "2 GiB"}}}]}
    ignored = {"kind": "ConfigMap", "data": {"resources": "1 GiB"}}  # not a resource list
    assert _pointers({"kind": "List", "items": items}, bare, ignored) == [
        (0, "/items/0/spec/jobTemplate/spec/template/spec/containers/0/resources/requests/memory", "512 MB", "512M"),
        (0, "/items/1/overhead/podFixed/memory", "120 MiB", "120Mi"),
        (0, "/items/2/spec/resources/requests/storage", "1 GiB", "1Gi"),
        (0, "/items/3/spec/limits/0/max/cpu", "4 cores", "4"),
        (1, "/containers/0/resources/limits/memory", "2 GiB", "2Gi"),
    ]


def test_warnings_come_pattern_by_pattern() -> None:
    """Every container's requests, then every container's limits: the order of the patterns."""
    pod = {
        "kind": "Pod",
        "spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "1 cores"}, "limits": {"cpu": "2 cores"}}},
                {"name": "b", "resources": {"requests": {"cpu": "3 cores"}, "limits": {"cpu": "4 cores"}}},
            ]
        },
    }
    assert [w[1] for w in _pointers(pod)] == [
        "/spec/containers/0/resources/requests/cpu",
        "/spec/containers/1/resources/requests/cpu",
        "/spec/containers/0/resources/limits/cpu",
        "/spec/containers/1/resources/limits/cpu",
    ]


_GOES_ON = "goes on past where another pattern ends"
_ENDS = "ends on every item of a list, or where another pattern goes on"


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ([("spec", "hard"), ("spec", "hard", "extra")], _GOES_ON),  # a list's field taken as another list
        ([("spec", "hard", "extra"), ("spec", "hard")], _ENDS),
        ([("spec", "limits", ANY)], _ENDS),  # a list's items: no pointer to a resource list
    ],
)
def test_patterns_that_would_hide_a_resource_list_are_refused_when_the_trees_are_built(
    patterns: list[tuple[str | None, ...]], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{patterns[-1]}: {message}")):
        _tree(patterns)


def test_each_pattern_ends_at_its_own_position() -> None:
    assert _tree([("spec", "hard"), ("spec", "limits", ANY, "max")]) == {
        "spec": {"hard": 0, "limits": {ANY: {"max": 1}}}
    }
