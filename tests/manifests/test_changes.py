"""The what-if and diff bodies read: sides, change requests, their targets, and each problem's pointer."""

from __future__ import annotations

from typing import Any

import pytest

from calc.errors import Violation
from podcalc.diff import apply_changes, what_if, what_if_documents
from podcalc.errors import InvalidError
from podcalc.reading.changes import (
    Located,
    Target,
    change_list,
    changed_fields,
    container,
    find,
    pod_template,
    read_containers,
    read_patch,
    read_replicas,
    read_resources,
    read_target,
    read_what_if,
    side,
)
from podcalc.reading.limits import DEFAULT_LIMITS
from podcalc.reading.manifests import Document, count_fields, identity, replicas_path

WEB = {
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app"}]}}},
}


def refused(at: str, detail: str) -> dict[str, Any]:
    """What an InvalidError at one pointer lists."""
    return {"pointer": at, "detail": detail}


def error_of(call: Any, *args: Any) -> InvalidError:
    with pytest.raises(InvalidError) as caught:
        call(*args)
    return caught.value


# --- sides -------------------------------------------------------------------------------------


def test_a_side_is_a_stream_a_manifest_or_a_list() -> None:
    stream = side("kind: Pod\n---\nkind: Job\n", "before", DEFAULT_LIMITS)
    assert [(d.index, d.value, d.source) for d in stream] == [
        (0, {"kind": "Pod"}, "before document 0"),
        (1, {"kind": "Job"}, "before document 1"),
    ]
    assert side({"kind": "Pod"}, "after", DEFAULT_LIMITS) == [Document(0, {"kind": "Pod"}, "after document 0")]
    assert side([WEB, None], "after", DEFAULT_LIMITS) == [
        Document(0, WEB, "after document 0"),
        Document(1, None, "after document 1"),
    ]


def test_a_side_of_anything_else_is_refused_at_its_name() -> None:
    err = error_of(side, 5, "before", DEFAULT_LIMITS)
    detail = "must be a YAML or JSON stream (a string), a manifest, or a list of manifests"
    assert err.errors == [refused("/before", detail)]
    assert err.detail == f"/before: {detail}"


def test_a_what_if_body_needs_its_manifests() -> None:
    err = error_of(read_what_if, {"changes": []}, DEFAULT_LIMITS)
    assert err.errors == [refused("/manifests", "Required value: the manifests to change")]
    documents, changes = read_what_if({"manifests": [WEB], "changes": ["x"]}, DEFAULT_LIMITS)
    assert documents == [Document(0, WEB, "manifests document 0")]
    assert changes == ["x"]


@pytest.mark.parametrize("changes", [None, [], {"target": {}}, "replicas: 2"])
def test_changes_are_a_non_empty_list(changes: Any) -> None:
    err = error_of(change_list, changes)
    assert err.errors == [refused("/changes", "must be a non-empty list of changes")]


# --- targets -----------------------------------------------------------------------------------


def test_a_target_read() -> None:
    change = {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}, "replicas": 3}
    target = read_target(change, "/changes/0")
    assert target == Target("Deployment", "web", "shop")
    assert str(target) == "Deployment/web"
    assert changed_fields(change) == ["replicas"]


@pytest.mark.parametrize("namespace", [None, ""])
def test_a_target_without_a_namespace_is_in_default(namespace: str | None) -> None:
    assert read_target({"target": {"kind": "Pod", "name": "p", "namespace": namespace}}, "/changes/0") == Target(
        "Pod", "p", "default"
    )


@pytest.mark.parametrize("change", [5, {}, {"target": "web"}, {"target": {"name": "web"}}, {"target": {"kind": 1}}])
def test_a_target_must_name_a_workload(change: Any) -> None:
    err = error_of(read_target, change, "/changes/2")
    assert err.errors == [refused("/changes/2/target", "must name a workload: {kind, name, namespace}")]


def test_the_target_is_found_by_kind_name_and_namespace() -> None:
    other = {"kind": "Deployment", "metadata": {"name": "web"}}  # in default
    listed = {"kind": "List", "items": [other, WEB]}
    assert find([{"kind": "Pod"}, listed], Target("Deployment", "web", "shop"), "/changes/0") == Located(
        1, ("items", 1), WEB
    )
    assert find([listed], Target("Deployment", "web", "default"), "/changes/0") == Located(0, ("items", 0), other)


def test_a_missing_target_is_refused_with_its_name() -> None:
    err = error_of(find, [WEB], Target("StatefulSet", "web", "shop"), "/changes/1")
    assert err.errors == [refused("/changes/1/target", "no StatefulSet 'web' in the manifests")]
    err = error_of(find, [WEB], Target("Deployment", None, "shop"), "/changes/0")
    assert err.errors == [refused("/changes/0/target", "no Deployment None in the manifests")]


def test_names_are_compared_as_written_so_a_wrongly_named_manifest_is_still_found() -> None:
    bad = {"kind": "Deployment", "metadata": {"name": 5}}
    assert find([bad], Target("Deployment", 5, "default"), "/changes/0") == Located(0, (), bad)
    unnamed = {"kind": "Deployment", "metadata": "web"}
    assert find([unnamed], Target("Deployment", None, "default"), "/changes/0") == Located(0, (), unnamed)


def test_identity_is_read_as_classify_reads_it() -> None:
    assert identity({"metadata": {"name": "a", "namespace": "b"}}, ()) == ("a", "b")
    assert identity({}, ()) == (None, None)
    assert identity({"metadata": []}, ("items", 0)) == [Violation(("items", 0, "metadata"), "must be an object")]
    assert identity({"metadata": {"name": 1, "namespace": 2}}, ()) == [
        Violation(("metadata", "name"), "must be a string"),
        Violation(("metadata", "namespace"), "must be a string"),
    ]


# --- what a change asks for ---------------------------------------------------------------------


def test_the_parts_of_a_change_read() -> None:
    change = {"patch": {"spec": None}, "replicas": 0, "containers": {"app": {"requests": {"cpu": "1"}}}}
    assert read_patch(change, "/changes/0") == {"spec": None}
    assert read_replicas(change, "/changes/0") == 0
    assert read_containers(change, "/changes/0") == {"app": {"requests": {"cpu": "1"}}}
    assert read_resources({"limits": {}}, "/changes/0/containers/app") == {"limits": {}}
    assert (read_patch({}, "/c"), read_replicas({}, "/c"), read_containers({}, "/c")) == (None, None, None)


def test_a_patch_is_an_object() -> None:
    err = error_of(read_patch, {"patch": [1]}, "/changes/0")
    assert err.errors == [refused("/changes/0/patch", "a JSON merge patch is an object")]


@pytest.mark.parametrize("replicas", [True, -1, 1.5, "3", None])
def test_replicas_are_a_whole_number(replicas: Any) -> None:
    err = error_of(read_replicas, {"replicas": replicas}, "/changes/3")
    assert err.errors == [refused("/changes/3/replicas", "must be a whole number")]


def test_containers_map_names_to_resources() -> None:
    err = error_of(read_containers, {"containers": ["app"]}, "/changes/0")
    assert err.errors == [refused("/changes/0/containers", "must map container names to {requests, limits}")]
    err = error_of(read_resources, "1", "/changes/0/containers/app")
    assert err.errors == [refused("/changes/0/containers/app", "must be {requests, limits}")]


# --- the object a change writes to ----------------------------------------------------------------


def test_the_pod_template_by_kind() -> None:
    spec: dict[str, Any] = {"containers": []}
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    assert pod_template(cron, "/changes/0/containers") is spec
    assert pod_template({"kind": "PodTemplate", "template": {"spec": spec}}, "/c") is spec
    assert pod_template({"kind": "Service", "spec": spec}, "/c") is spec  # another kind: its spec
    assert pod_template({"kind": 5, "spec": spec}, "/c") is spec


def test_no_pod_template_is_refused_with_its_path() -> None:
    err = error_of(pod_template, {"kind": "CronJob", "spec": {}}, "/changes/0/containers")
    detail = "the workload has no pod template at /spec/jobTemplate/spec/template/spec"
    assert err.errors == [refused("/changes/0/containers", detail)]


def test_a_container_found_by_name_among_containers_then_init_containers() -> None:
    app, init, twin = {"name": "app"}, {"name": "init"}, {"name": "app", "image": "x"}
    spec = {"containers": [5, app], "initContainers": [init, twin]}
    assert container(spec, "app", "/c") is app
    assert container(spec, "init", "/c") is init
    err = error_of(container, {"containers": "app"}, "app", "/changes/0/containers/app")
    assert err.errors == [refused("/changes/0/containers/app", "no container 'app' in the pod template")]


# --- the count fields of each kind ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "replicas"),
    [
        ("Deployment", (("spec",), ("replicas",)), ("spec", "replicas")),
        ("StatefulSet", (("spec",), ("replicas",)), ("spec", "replicas")),
        ("ReplicationController", (("spec",), ("replicas",)), ("spec", "replicas")),
        ("Job", (("spec",), ("parallelism", "completions")), ("spec", "parallelism")),
        (
            "CronJob",
            (("spec", "jobTemplate", "spec"), ("parallelism", "completions")),
            ("spec", "jobTemplate", "spec", "parallelism"),
        ),
        ("Pod", ((), ()), None),
        ("DaemonSet", ((), ()), None),
        ("PodTemplate", ((), ()), None),
        ("Rollout", ((), ()), ("spec", "replicas")),
    ],
)
def test_count_fields_and_the_replicas_field(kind: str, fields: Any, replicas: Any) -> None:
    assert count_fields(kind) == fields
    assert replicas_path(kind) == replicas


# --- changes applied ------------------------------------------------------------------------------


def test_replicas_of_a_cron_job_set_its_job_templates_parallelism() -> None:
    cron: dict[str, Any] = {
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}},
    }
    documents = [Document(0, cron)]
    after, applied = apply_changes(documents, [{"target": {"kind": "CronJob", "name": "nightly"}, "replicas": 4}])
    assert after[0].value["spec"]["jobTemplate"]["spec"]["parallelism"] == 4
    assert applied == ["CronJob/nightly: replicas"]
    assert "parallelism" not in cron["spec"]["jobTemplate"]["spec"]  # the input is left as it was


def test_a_pod_has_no_replicas() -> None:
    pod = Document(0, {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}})
    err = error_of(apply_changes, [pod], [{"target": {"kind": "Pod", "name": "p"}, "replicas": 2}])
    assert err.errors == [refused("/changes/0/replicas", "a Pod has no replicas")]


def test_container_resources_merge_into_the_template() -> None:
    app = {"name": "app", "resources": {"limits": {"cpu": 1}}}
    web = {**WEB, "spec": {"template": {"spec": {"containers": [app]}}}}
    change = {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}}
    after, applied = apply_changes(
        [Document(0, {"kind": "List", "items": [web]})], [change | {"containers": {"app": {"requests": {"cpu": "1"}}}}]
    )
    changed = after[0].value["items"][0]["spec"]["template"]["spec"]["containers"][0]
    assert changed["resources"] == {"limits": {"cpu": 1}, "requests": {"cpu": "1"}}
    assert applied == ["Deployment/web: containers"]
    assert app["resources"] == {"limits": {"cpu": 1}}  # the input is left as it was


def test_the_first_problem_of_a_change_is_the_one_reported() -> None:
    # the target is missing and the patch is not an object: the target is read first
    change = {"target": {"kind": "Deployment", "name": "nope"}, "patch": 5}
    err = error_of(apply_changes, [Document(0, WEB)], [change])
    assert err.errors == [refused("/changes/0/target", "no Deployment 'nope' in the manifests")]
    # a container that is missing before one whose resources are not an object
    target = {"kind": "Deployment", "name": "web", "namespace": "shop"}
    change = {"target": target, "containers": {"gone": {}, "app": 5}}
    err = error_of(apply_changes, [Document(0, WEB)], [change])
    assert err.errors == [refused("/changes/0/containers/gone", "no container 'gone' in the pod template")]


def test_what_if_is_its_changes_applied_and_the_diff() -> None:
    change = {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}, "replicas": 5}
    documents = side([WEB], "manifests", DEFAULT_LIMITS)
    body = what_if_documents(documents, [change])
    assert next(iter(body)) == "applied"
    assert body["applied"] == ["Deployment/web: replicas"]
    assert body["workloads"][0]["delta"]["pods"] == 3
    assert what_if({"manifests": [WEB], "changes": [change]}) == body
