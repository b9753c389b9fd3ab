"""A StatefulSet's RollingUpdate on a live snapshot: a pod keeps its name, so the
controller deletes it and creates its replacement once it is gone (``updateStatefulSet``).
Old and new pods never share an ordinal; they run together only as a scale changes.
``maxUnavailable`` (``getStatefulSetMaxUnavailable``) sets how many are replaced at once."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.http.test_live import live

NODE = """---
apiVersion: v1
kind: Node
metadata: {name: n0}
status: {allocatable: {cpu: "64", memory: 256Gi, pods: "110"}}
"""
STATEFULSET = """---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db, namespace: data}}
spec:
  replicas: {replicas}
  podManagementPolicy: {policy}
  updateStrategy: {strategy}
  template:
    spec:
      containers: [{{name: db, resources: {{requests: {{cpu: {cpu}}}}}}}]
"""
ROLLING = "{type: RollingUpdate}"


def _pods(count: int, cpu: str) -> str:
    return "".join(
        f"""---
apiVersion: v1
kind: Pod
metadata:
  name: db-{i}
  namespace: data
  ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: db, controller: true}}]
spec:
  nodeName: n0
  containers: [{{name: db, resources: {{requests: {{cpu: {cpu}}}}}}}]
status: {{phase: Running}}
"""
        for i in range(count)
    )


def _statefulset(replicas: int, cpu: str, policy: str = "OrderedReady", strategy: str = ROLLING) -> str:
    return STATEFULSET.format(replicas=replicas, cpu=cpu, policy=policy, strategy=strategy)


def _plan(client: FlaskClient, old: tuple[int, str], new: str, status: int = 200) -> Any:
    return live(client, NODE + _statefulset(*old) + _pods(*old), new, status)


def _rollout(client: FlaskClient, old: tuple[int, str], new: str) -> Any:
    (change,) = _plan(client, old, new)["cluster"]["workloads"]
    return change["rollout"]


def test_pods_are_replaced_in_place_so_the_peak_is_the_larger_side(client: FlaskClient) -> None:
    """3 pods of 1 cpu become 3 of 2: never more than 3 pods, at most all new (6)."""
    rollout = _rollout(client, (3, "1"), _statefulset(3, "2"))
    assert (rollout["strategy"], rollout["maxSurge"], rollout["maxUnavailable"], rollout["peakPods"]) == (
        "RollingUpdate",
        None,
        1,
        3,
    )
    assert rollout["peak"]["requests.cpu"] == "6"
    assert _rollout(client, (3, "2"), _statefulset(3, "1"))["peak"]["requests.cpu"] == "6"  # all old


def test_a_scale_up_with_smaller_pods_runs_the_old_ones_beside_the_added_ones(client: FlaskClient) -> None:
    """3 old pods of 2 cpu, 5 new of 1500m: ordinals 3 and 4 are created (new) while 0-2 still
    run old: 3 x 2 + 2 x 1500m = 9, above both before (6) and after (7500m)."""
    rollout = _rollout(client, (3, "2"), _statefulset(5, "1500m"))
    assert (rollout["peakPods"], rollout["peak"]["requests.cpu"]) == (5, "9")


def test_a_parallel_scale_down_replaces_pods_while_the_condemned_terminate(client: FlaskClient) -> None:
    """5 old pods of 1 cpu, 3 new of 2: with Parallel the 2 condemned pods may still run while
    the 3 are replaced (2 x 1 + 3 x 2 = 8); OrderedReady waits for them to go (peak 6)."""
    assert _rollout(client, (5, "1"), _statefulset(3, "2", "Parallel"))["peak"]["requests.cpu"] == "8"
    assert _rollout(client, (5, "1"), _statefulset(3, "2", "OrderedReady"))["peak"]["requests.cpu"] == "6"


def test_max_unavailable_is_a_share_of_the_replicas_rounded_down_and_at_least_one(client: FlaskClient) -> None:
    for written, expected in (("2", 2), ("'50%'", 2), ("'10%'", 1)):
        strategy = f"{{type: RollingUpdate, rollingUpdate: {{maxUnavailable: {written}}}}}"
        rollout = _rollout(client, (4, "1"), _statefulset(4, "2", strategy=strategy))
        assert (rollout["maxUnavailable"], rollout["peak"]["requests.cpu"]) == (expected, "8"), written


def test_on_delete_replaces_nothing_by_itself(client: FlaskClient) -> None:
    rollout = _rollout(client, (3, "1"), _statefulset(3, "2", strategy="{type: OnDelete}"))
    assert (rollout["strategy"], rollout["maxUnavailable"], rollout["peak"]["requests.cpu"]) == ("OnDelete", None, "6")


def test_a_partition_is_said_to_keep_old_pods(client: FlaskClient) -> None:
    strategy = "{type: RollingUpdate, rollingUpdate: {partition: 2}}"
    notes = _plan(client, (3, "1"), _statefulset(3, "2", strategy=strategy))["cluster"]["snapshot"]["notes"]
    assert notes == [
        "StatefulSet data/db: rollingUpdate.partition 2 leaves its pods below ordinal 2 on their old "
        "template; podcalc counts every pod with the new one"
    ]


@pytest.mark.parametrize(
    ("written", "detail"),
    [
        ("most", "'most': an int or a percentage such as '25%'"),
        ("1.5", "1.5: an int or a percentage such as '25%'"),  # not an IntOrString
        ("true", "true: an int or a percentage such as '25%'"),
        ("-2", "-2: must be greater than or equal to 0"),
        ("0", "0: must be greater than 0"),
        ("'0%'", "'0%': must be greater than 0"),
        ("'150%'", "'150%': must not be greater than 100%"),
        ("'١٠%'", "'١٠%': an int or a percentage such as '25%'"),  # IsValidPercent: ASCII digits
    ],
)
def test_a_max_unavailable_the_api_server_refuses_is_a_422(client: FlaskClient, written: str, detail: str) -> None:
    strategy = f"{{type: RollingUpdate, rollingUpdate: {{maxUnavailable: {written}}}}}"
    problem = _plan(client, (3, "1"), _statefulset(3, "2", strategy=strategy), status=422)
    (error,) = problem["errors"]
    assert error["pointer"] == "/spec/updateStrategy/rollingUpdate"
    assert error["detail"] == f"Invalid value: {detail}"


@pytest.mark.parametrize(
    ("strategy", "detail"),
    [
        ("{type: Recreate}", 'Unsupported value: "Recreate": supported values: "OnDelete", "RollingUpdate"'),
        ("{type: 5}", 'Unsupported value: 5: supported values: "OnDelete", "RollingUpdate"'),
    ],
)
def test_a_strategy_type_the_kind_does_not_have_is_a_422(client: FlaskClient, strategy: str, detail: str) -> None:
    """A StatefulSet has RollingUpdate and OnDelete; Recreate is a Deployment's."""
    problem = _plan(client, (3, "1"), _statefulset(3, "2", strategy=strategy), status=422)
    (error,) = problem["errors"]
    assert (error["pointer"], error["detail"]) == ("/spec/updateStrategy/type", detail)
