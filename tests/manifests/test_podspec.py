"""``read_pod_spec``: a PodSpec in, its resource-relevant fields out, or every problem at its field.

The messages below are the API's and the CLI's words, nested as they are reported (a list
of messages, or a mapping of field or list index to the same; ``_schema`` for the object
itself): each case asserts them exactly, in order.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import parse_quantity
from podcalc.reading.decoded import RawNumber
from podcalc.reading.podspec import MISSING, NOT_AN_OBJECT, FieldError, flatten_messages, read_pod_spec
from tests.http.test_properties import pod_specs

NULL = "Field may not be null."
NOT_A_LIST = "Not a valid list."
NOT_A_STRING = "Not a valid string."
NOT_AN_INTEGER = "Not a valid integer."
NOT_A_RESOURCE_LIST = "must be an object mapping resource names to quantities"
NOT_A_QUANTITY = "must be a quantity such as '500m', '1Gi' or a number"
ONLY_ALWAYS = 'supported values: "Always"'
A = [{"name": "a"}]  # the smallest valid list of containers


def _ordered(messages: Any) -> Any:
    """``messages`` with every mapping as its list of items, so that == also compares order."""
    if isinstance(messages, dict):
        return [(key, _ordered(value)) for key, value in messages.items()]
    if isinstance(messages, list):
        return [_ordered(m) for m in messages]
    return messages


def _refusal(raw: Any, max_quantity_length: int = 256) -> Any:
    with pytest.raises(FieldError) as caught:
        read_pod_spec(raw, max_quantity_length)
    return caught.value.messages


REFUSED = [
    # the spec itself
    pytest.param([], {"_schema": [NOT_AN_OBJECT]}, id="a spec that is not an object is refused as a whole"),
    pytest.param(None, {"_schema": [NOT_AN_OBJECT]}, id="a null spec is refused as a whole"),
    pytest.param({"nodeName": "n"}, {"containers": [MISSING]}, id="a spec without containers is refused"),
    # containers
    pytest.param({"containers": None}, {"containers": [NULL]}, id="a null containers list is refused"),
    pytest.param(
        {"containers": []},
        {"containers": ["a pod needs at least one container"]},
        id="an empty containers list is refused",
    ),
    pytest.param({"containers": {"name": "a"}}, {"containers": [NOT_A_LIST]}, id="containers must be a list"),
    pytest.param(
        {"containers": [{"name": "a"}, "b"]},
        {"containers": {1: {"_schema": [NOT_AN_OBJECT]}}},
        id="a container that is not an object is refused at its index",
    ),
    pytest.param(
        {"containers": [{"name": "a"}, {"image": "nginx"}]},
        {"containers": {1: {"name": [MISSING]}}},
        id="a container without a name is refused at its index",
    ),
    pytest.param(
        {"containers": [{"name": None}]}, {"containers": {0: {"name": [MISSING]}}}, id="a null name is missing"
    ),
    pytest.param(
        {"containers": [{"name": 1}]}, {"containers": {0: {"name": [NOT_A_STRING]}}}, id="a name must be a string"
    ),
    pytest.param(
        {"containers": [{"name": ""}]}, {"containers": {0: {"name": ["Required value"]}}}, id="a name may not be empty"
    ),
    pytest.param(
        {"containers": [{}, {"name": "a"}, 3]},
        {"containers": {0: {"name": [MISSING]}, 2: {"_schema": [NOT_AN_OBJECT]}}},
        id="every bad container is reported, each at its index",
    ),
    pytest.param(
        {"containers": [{"resources": []}]},
        {"containers": {0: {"name": [MISSING], "resources": {"_schema": [NOT_AN_OBJECT]}}}},
        id="a container's problems are reported together",
    ),
    # requests and limits
    pytest.param(
        {"containers": [{"name": "a", "resources": {"requests": [], "limits": "x"}}]},
        {"containers": {0: {"resources": {"requests": [NOT_A_RESOURCE_LIST], "limits": [NOT_A_RESOURCE_LIST]}}}},
        id="requests and limits must be objects",
    ),
    pytest.param(
        {"containers": [{"name": "a"}, {"name": "b", "resources": {"limits": {"cpu": "1", "memory": "1.5.5"}}}]},
        {
            "containers": {
                1: {"resources": {"limits": {"memory": ["invalid quantity '1.5.5': more than one decimal point"]}}}
            }
        },
        id="a bad quantity is refused at its resource name",
    ),
    pytest.param(
        {"containers": [{"name": "a", "resources": {"requests": {"cpu": True, "memory": [1]}}}]},
        {"containers": {0: {"resources": {"requests": {"cpu": [NOT_A_QUANTITY], "memory": [NOT_A_QUANTITY]}}}}},
        id="a quantity must be a string or a number",
    ),
    pytest.param(
        {"containers": A, "overhead": {1: "1", "cpu": "abc"}},
        {
            "overhead": {
                "1": ["a resource name must be a string"],
                "cpu": ["invalid quantity 'abc': not of the form <number><suffix>, e.g. '500m', '1.5Gi', '2', '1e3'"],
            }
        },
        id="a resource name must be a string",
    ),
    pytest.param(
        {"containers": A, "overhead": []}, {"overhead": [NOT_A_RESOURCE_LIST]}, id="overhead must be an object"
    ),
    pytest.param(
        {"containers": A, "resources": 1},
        {"resources": {"_schema": [NOT_AN_OBJECT]}},
        id="pod resources that are not an object are refused",
    ),
    pytest.param(
        {"containers": A, "resources": {"requests": {"memory": ""}, "limits": None}},
        {"resources": {"requests": {"memory": ["invalid quantity '': empty string"]}}},
        id="pod resources report a bad quantity at its resource name",
    ),
    # init containers
    pytest.param(
        {"containers": A, "initContainers": {}}, {"initContainers": [NOT_A_LIST]}, id="init containers: a list"
    ),
    pytest.param(
        {"containers": A, "initContainers": [{"name": "b", "restartPolicy": "Never"}]},
        {"initContainers": {0: {"restartPolicy": [f'Unsupported value: "Never": {ONLY_ALWAYS}']}}},
        id="an init container's restartPolicy may only be Always",
    ),
    pytest.param(
        {"containers": A, "initContainers": [{"name": "b", "restartPolicy": 1}]},
        {"initContainers": {0: {"restartPolicy": [f"Unsupported value: 1: {ONLY_ALWAYS}"]}}},
        id="a restartPolicy that is a number is shown as JSON",
    ),
    pytest.param(
        {"containers": A, "initContainers": [{"name": "b", "restartPolicy": []}]},
        {"initContainers": {0: {"restartPolicy": [f"Unsupported value: (not a string): {ONLY_ALWAYS}"]}}},
        id="a restartPolicy that is not a scalar is shown as not a string",
    ),
    # the scalar fields
    pytest.param(
        {"containers": A, "runtimeClassName": 1},
        {"runtimeClassName": [NOT_A_STRING]},
        id="runtimeClassName must be a string",
    ),
    pytest.param(
        {"containers": A, "priorityClassName": RawNumber("1.5")},
        {"priorityClassName": [NOT_A_STRING]},
        id="priorityClassName must be a string, not a number",
    ),
    pytest.param({"containers": A, "nodeName": ["n"]}, {"nodeName": [NOT_A_STRING]}, id="nodeName must be a string"),
    pytest.param(
        {"containers": A, "nodeName": b"\xff"},
        {"nodeName": ["Not a valid utf-8 string."]},
        id="binary that is not UTF-8 is not a string",
    ),
    pytest.param(
        {"containers": A, "activeDeadlineSeconds": True},
        {"activeDeadlineSeconds": [NOT_AN_INTEGER]},
        id="activeDeadlineSeconds is an integer, not a bool",
    ),
    pytest.param(
        {"containers": A, "activeDeadlineSeconds": RawNumber("1.5")},
        {"activeDeadlineSeconds": [NOT_AN_INTEGER]},
        id="activeDeadlineSeconds is an integer, not a decimal number",
    ),
    pytest.param(
        {"containers": A, "activeDeadlineSeconds": RawNumber("1" * 70)},
        {"activeDeadlineSeconds": [NOT_AN_INTEGER]},
        id="activeDeadlineSeconds is an integer, not one too long to decode",
    ),
    pytest.param(
        {"containers": A, "activeDeadlineSeconds": "30"},
        {"activeDeadlineSeconds": [NOT_AN_INTEGER]},
        id="activeDeadlineSeconds is an integer, not a string",
    ),
    pytest.param({"containers": A, "affinity": []}, {"affinity": [NOT_AN_OBJECT]}, id="affinity must be an object"),
    # container names
    pytest.param(
        {"containers": [{"name": "a"}, {"name": "b"}, {"name": "a"}]},
        {"containers": {2: {"name": ["Duplicate value: 'a'"]}}},
        id="a container name is used once in a pod",
    ),
    pytest.param(
        {"containers": [{"name": "a"}, {"name": "a"}], "initContainers": [{"name": "b"}, {"name": "a"}, {"name": "b"}]},
        {
            "containers": {1: {"name": ["Duplicate value: 'a'"]}},
            "initContainers": {1: {"name": ["Duplicate value: 'a'"]}, 2: {"name": ["Duplicate value: 'b'"]}},
        },
        id="an init container may not reuse any earlier name",
    ),
    pytest.param(
        {"containers": [{"name": "a"}, {"name": "a"}], "nodeName": 1},
        {"nodeName": [NOT_A_STRING]},
        id="duplicate names are reported only once every field reads well",
    ),
    # all at once
    pytest.param(
        {
            "affinity": "x",
            "nodeName": 1,
            "priorityClassName": 1,
            "activeDeadlineSeconds": 1.5,
            "runtimeClassName": 1,
            "resources": [],
            "overhead": [],
            "initContainers": [None],
            "containers": [],
        },
        {
            "containers": ["a pod needs at least one container"],
            "initContainers": {0: {"_schema": [NOT_AN_OBJECT]}},
            "overhead": [NOT_A_RESOURCE_LIST],
            "resources": {"_schema": [NOT_AN_OBJECT]},
            "runtimeClassName": [NOT_A_STRING],
            "activeDeadlineSeconds": [NOT_AN_INTEGER],
            "priorityClassName": [NOT_A_STRING],
            "nodeName": [NOT_A_STRING],
            "affinity": [NOT_AN_OBJECT],
        },
        id="every bad field is reported, in the order of the spec's fields",
    ),
]


@pytest.mark.parametrize(("raw", "messages"), REFUSED)
def test_a_bad_spec_is_refused_at_its_fields(raw: Any, messages: Any) -> None:
    assert _ordered(_refusal(raw)) == _ordered(messages)


@pytest.mark.parametrize(
    ("quantity", "limit", "message"),
    [
        pytest.param(
            "12345", 4, "a quantity of 5 characters: the limit is 4", id="a quantity past the limit is refused"
        ),
        pytest.param("1" * 300, 1000, "a quantity of 300 characters: the limit is 256", id="the limit is at most 256"),
    ],
)
def test_a_long_quantity_is_refused_before_it_is_parsed(quantity: str, limit: int, message: str) -> None:
    raw = {"containers": A, "overhead": {"cpu": quantity, "memory": "1Gi"}}
    assert _refusal(raw, limit) == {"overhead": {"cpu": [f"{message} (PODCALC_MAX_QUANTITY_LENGTH)"]}}


def test_a_problem_is_named_by_its_json_pointer() -> None:
    raw = {"containers": [{"name": "a"}, {"name": "b", "resources": {"limits": {"memory": "-"}}}], "nodeName": 1}
    assert flatten_messages(_refusal(raw)) == [
        ("/containers/1/resources/limits/memory", "invalid quantity '-': no digits before the suffix"),
        ("/nodeName", NOT_A_STRING),
    ]
    assert flatten_messages(_refusal("x")) == [("", NOT_AN_OBJECT)]


def test_a_typical_pod_is_read() -> None:
    raw = {
        "containers": [
            {
                "name": "app",
                "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "1Gi"}},
                "restartPolicy": "Never",  # read for init containers only
            }
        ],
        "initContainers": [{"name": "proxy", "restartPolicy": "Always"}, {"name": "migrate"}],
        "overhead": {"cpu": "10m", "memory": None},
        "resources": {"limits": {"cpu": RawNumber("1.5")}},
        "runtimeClassName": "kata",
        "activeDeadlineSeconds": 30,
        "priorityClassName": "high",
        "nodeName": b"node-1",  # YAML's !!binary
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"namespaces": ["b"]}]}},
        "schedulerName": "ignored",
    }
    assert read_pod_spec(raw) == PodSpec(
        containers=(
            Container(
                "app",
                ContainerType.CONTAINER,
                0,
                requests={"cpu": parse_quantity("250m")},
                limits={"memory": parse_quantity("1Gi")},
            ),
        ),
        init_containers=(Container("proxy", ContainerType.SIDECAR, 0), Container("migrate", ContainerType.INIT, 1)),
        overhead={"cpu": parse_quantity("10m"), "memory": parse_quantity("0")},
        resources=PodResources(limits={"cpu": parse_quantity("1.5")}),
        runtime_class_name="kata",
        active_deadline_seconds=30,
        priority_class_name="high",
        node_name="node-1",
        cross_namespace_affinity=True,
    )


OPTIONAL = [
    "initContainers",
    "overhead",
    "resources",
    "runtimeClassName",
    "activeDeadlineSeconds",
    "priorityClassName",
    "nodeName",
    "affinity",
]


def test_a_null_optional_field_reads_as_an_absent_one() -> None:
    assert read_pod_spec({"containers": A} | dict.fromkeys(OPTIONAL)) == read_pod_spec({"containers": A})
    assert read_pod_spec({"containers": A}) == PodSpec(containers=(Container("a", ContainerType.CONTAINER, 0),))


@pytest.mark.parametrize(
    ("affinity", "cross"),
    [
        pytest.param({"nodeAffinity": {"x": 1}}, False, id="node affinity never reaches other namespaces"),
        pytest.param({}, False, id="an empty affinity does not"),
        pytest.param(
            {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"namespaces": []}]}},
            False,
            id="an empty namespaces list does not",
        ),
        pytest.param(
            {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"namespaceSelector": {}}]}},
            True,
            id="an empty namespaceSelector selects every namespace",
        ),
        pytest.param(
            {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [{"podAffinityTerm": {"namespaces": ["b"]}}]
                }
            },
            True,
            id="a preferred term names namespaces in its podAffinityTerm",
        ),
    ],
)
def test_affinity_is_read_for_other_namespaces(affinity: dict[str, Any], cross: bool) -> None:
    assert read_pod_spec({"containers": A, "affinity": affinity}).cross_namespace_affinity is cross


def _expected(raw: dict[str, Any]) -> PodSpec:
    """The PodSpec a generated valid spec stands for, built straight from its fields."""

    def quantities(resources: dict[str, str]) -> dict[str, Any]:
        return {name: parse_quantity(text) for name, text in resources.items()}

    def container(index: int, entry: dict[str, Any], ctype: ContainerType) -> Container:
        if ctype is ContainerType.INIT and entry.get("restartPolicy") == "Always":
            ctype = ContainerType.SIDECAR
        resources = entry.get("resources", {})
        return Container(
            entry["name"],
            ctype,
            index,
            requests=quantities(resources.get("requests", {})),
            limits=quantities(resources.get("limits", {})),
        )

    return PodSpec(
        containers=tuple(container(i, c, ContainerType.CONTAINER) for i, c in enumerate(raw["containers"])),
        init_containers=tuple(container(i, c, ContainerType.INIT) for i, c in enumerate(raw.get("initContainers", []))),
        overhead=quantities(raw.get("overhead", {})),
    )


def _texts(spec: PodSpec) -> list[list[tuple[str, str]]]:
    """Every quantity of ``spec`` as Kubernetes prints it (``==`` on quantities compares values
    only: ``1Gi == 1024Mi``), in order."""
    lists = [r for c in spec.containers + spec.init_containers for r in (c.requests, c.limits)]
    lists.append(spec.overhead)
    return [[(name, str(q)) for name, q in resources.items()] for resources in lists]


@settings(max_examples=300, deadline=None)
@given(pod_specs())
def test_a_valid_spec_reads_to_its_pod_spec(raw: dict[str, Any]) -> None:
    spec = read_pod_spec(raw)
    expected = _expected(raw)
    assert spec == expected
    assert _texts(spec) == _texts(expected)


odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["", "x", "Always", "500m", "1Gi", "-1", "1e3", "bad"]),
    st.builds(RawNumber, st.sampled_from(["0.5", "1e3", "12345678901234567890123"])),
    st.binary(max_size=2),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.sampled_from(["cpu", "memory", "a/b"]), st.sampled_from(["1", "2Gi", "x"]), max_size=2),
    st.lists(st.fixed_dictionaries({}, optional={"name": st.sampled_from(["z", "", None])}), max_size=2),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pod_specs(), st.sampled_from(["containers", *OPTIONAL]), odd)
def test_any_value_of_a_field_is_read_or_refused_at_that_field(raw: dict[str, Any], field: str, value: Any) -> None:
    raw[field] = value
    try:
        read_pod_spec(raw)
    except FieldError as err:
        problems = err.messages
    else:
        return
    assert list(problems) == [field]


def test_the_reader_needs_no_marshmallow() -> None:
    """One reader of a PodSpec: reading and refusing one load no schema library."""
    code = (
        "import sys; from podcalc.reading.podspec import FieldError, read_pod_spec\n"
        "read_pod_spec({'containers': [{'name': 'a'}]})\n"
        "try: read_pod_spec({'containers': None})\n"
        "except FieldError: pass\n"
        "print('marshmallow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"
