"""The hot path's pod reader (``load_pod_spec``) against the marshmallow schema it stands in for.

Whatever the schema accepts, the reader returns the same PodSpec; whatever the schema
refuses, the reader declines (None), so the schema reports it in its own words.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from calc.pod import PodSpec
from podcalc.reading.documents import RawNumber
from podcalc.reading.podspec import load_pod_spec
from podcalc.reading.schemas import PodSpecSchema
from tests.http.test_properties import pod_specs

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["", "x", "Always", "OnFailure", "500m", "1Gi", "-1", "1e3", "bad"]),
    st.builds(RawNumber, st.sampled_from(["0.5", "1e3", "12345678901234567890123"])),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.sampled_from(["cpu", "memory", "a/b"]), st.sampled_from(["1", "2Gi", "x"]), max_size=2),
)
FIELDS = [
    "containers",
    "initContainers",
    "overhead",
    "resources",
    "runtimeClassName",
    "activeDeadlineSeconds",
    "priorityClassName",
    "nodeName",
    "affinity",
]


def _schema(raw: Any, max_length: int) -> PodSpec | None:
    try:
        spec: PodSpec = PodSpecSchema(max_quantity_length=max_length).load(raw)
    except ValidationError:
        return None
    return spec


def _texts(spec: PodSpec) -> list[list[tuple[str, str]]]:
    """Every quantity of ``spec`` as Kubernetes prints it (``==`` on quantities compares values
    only: ``1Gi == 1024Mi``), in order."""
    lists = [r for c in spec.containers + spec.init_containers for r in (c.requests, c.limits)]
    lists.append(spec.overhead)
    if spec.resources is not None:
        lists += [spec.resources.requests, spec.resources.limits]
    return [[(name, str(q)) for name, q in resources.items()] for resources in lists]


def _same(fast: PodSpec | None, slow: PodSpec | None) -> None:
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert fast == slow
        assert _texts(fast) == _texts(slow)


@st.composite
def messy_specs(draw: st.DrawFn) -> Any:
    """A valid pod spec, left as it is or with one thing made odd: a field of the spec, a
    field of its first container, an affinity term, or a duplicate container name."""
    spec: dict[str, Any] = draw(pod_specs())
    change = draw(st.sampled_from(["none", "field", "container", "affinity", "duplicate"]))
    if change == "field":
        spec[draw(st.sampled_from(FIELDS))] = draw(odd)
    elif change == "container":
        key = draw(st.sampled_from(["containers", "initContainers"]))
        entry = dict(spec.get(key, [{"name": "extra"}])[0])
        entry[draw(st.sampled_from(["name", "resources", "restartPolicy"]))] = draw(odd)
        spec[key] = [entry, *spec.get(key, [])[1:]]
    elif change == "affinity":
        term = {draw(st.sampled_from(["namespaces", "namespaceSelector"])): draw(odd)}
        spec["affinity"] = {
            draw(st.sampled_from(["podAffinity", "podAntiAffinity"])): {
                "requiredDuringSchedulingIgnoredDuringExecution": [term]
            }
        }
    elif change == "duplicate":
        spec["initContainers"] = [*spec.get("initContainers", []), dict(spec["containers"][0])]
    return spec


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_specs(), st.sampled_from([4, 256]))
def test_the_fast_reader_agrees_with_the_schema(raw: Any, max_length: int) -> None:
    _same(load_pod_spec(raw, max_length), _schema(raw, max_length))


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=pod_specs(), value=odd)
def test_every_field_odd_or_not(field: str, spec: dict[str, Any], value: Any) -> None:
    spec[field] = value
    _same(load_pod_spec(spec), _schema(spec, 256))


@pytest.mark.parametrize(
    "raw",
    [
        {"containers": [{"name": "a"}], "activeDeadlineSeconds": True},
        {"containers": [{"name": "a"}], "activeDeadlineSeconds": RawNumber("1.5")},
        {"containers": []},
        {"containers": [{"name": "a"}, {"name": "a"}]},
        {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1x"}}}]},
        {"containers": [{"name": "a"}], "initContainers": [{"name": "b", "restartPolicy": "Never"}]},
        {"containers": [{"name": "a"}], "resources": {"requests": []}},
        {"containers": [{"name": "a"}], "nodeName": 3},
        [],
    ],
)
def test_what_the_schema_refuses_the_reader_declines(raw: Any) -> None:
    assert _schema(raw, 256) is None
    assert load_pod_spec(raw) is None


def test_a_typical_pod_is_read_without_the_schema() -> None:
    raw = {
        "containers": [{"name": "app", "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "1Gi"}}}],
        "initContainers": [{"name": "proxy", "restartPolicy": "Always"}, {"name": "migrate"}],
        "overhead": {"cpu": "10m"},
        "activeDeadlineSeconds": 30,
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"namespaces": ["b"]}]}},
    }
    spec = load_pod_spec(raw)
    assert spec is not None
    assert [c.type.value for c in spec.init_containers] == ["sidecar", "initContainer"]
    assert str(spec.containers[0].limits["memory"]) == "1Gi"
    assert spec.active_deadline_seconds == 30
    assert spec.cross_namespace_affinity is True
    _same(spec, _schema(raw, 256))
