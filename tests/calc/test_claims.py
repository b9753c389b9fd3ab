"""PersistentVolumeClaims at admission: the names a StatefulSet's claims get, and LimitRanger's
refusal of a claim and of the StatefulSet pods that wait for it.

Sources: ``pkg/controller/statefulset/stateful_set_utils.go`` (``getPersistentVolumeClaimName``),
``stateful_pod_control.go`` (``createPersistentVolumeClaims``) and
``plugin/pkg/admission/limitranger/admission.go`` (``PersistentVolumeClaimValidateLimitFunc``).
"""

from __future__ import annotations

import pytest

from calc.admission import (
    Rejection,
    claim_name,
    claim_rejection,
    pods_limit_range_rejection,
    stateful_set_claims_rejection,
)
from calc.errors import Location
from calc.evaluate import evaluate_pod
from calc.limitrange import LimitRange, LimitRangeItem, LimitViolation, set_defaults
from calc.quota import ResourceQuota
from calc.quota_admission import Admitted, Applicant, LocatedQuota, admit_to_quotas
from calc.quota_objects import Creation, object_usage
from tests.podbuild import C, quantities, spec

NS = "shop"


def claim_range(name: str, **lists: dict[str, str]) -> LimitRange:
    item = LimitRangeItem("PersistentVolumeClaim", **{k: quantities(v) for k, v in lists.items()})
    return LimitRange(name, NS, (set_defaults(item),))


STORAGE = claim_range("storage", min={"storage": "1Gi"}, max={"storage": "2Gi"})
SMALL = claim_range("small", max={"storage": "1Gi"})


def pvc_violation(limit_range: str, message: str) -> LimitViolation:
    return LimitViolation(limit_range, 0, "PersistentVolumeClaim", "storage", None, message)


def template(name: str | None, storage: str) -> Creation:
    requests = quantities({"storage": storage})
    return Creation(
        "PersistentVolumeClaim", name, object_usage("PersistentVolumeClaim", "", storage=requests["storage"]), requests
    )


@pytest.mark.parametrize(
    ("template_name", "stateful_set", "ordinal", "expected"),
    [
        ("data", "db", 0, "data-db-0"),
        ("www", "web", 12, "www-web-12"),
        (None, "db", 1, "None-db-1"),  # a template without a name, as the stream wrote it
    ],
)
def test_claim_name(template_name: str | None, stateful_set: str, ordinal: int, expected: str) -> None:
    assert claim_name(template_name, stateful_set, ordinal) == expected


def test_claim_rejection_names_the_claim_and_notes_the_other_ranges() -> None:
    max_storage = "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi"
    max_small = "maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 5Gi"
    assert claim_rejection("data", quantities({"storage": "5Gi"}), [STORAGE, SMALL]) == Rejection(
        "LimitRanger",
        ("LimitRange/storage",),
        max_storage,
        (pvc_violation("storage", max_storage), pvc_violation("small", max_small)),
        refused="PersistentVolumeClaim/data",
        notes=(f"LimitRange/small would refuse it too: {max_small}",),
    )


def test_claim_rejection_of_a_claim_without_a_request() -> None:
    min_message = "minimum storage usage per PersistentVolumeClaim is 1Gi.  No request is specified"
    max_message = "maximum storage usage per PersistentVolumeClaim is 2Gi.  No request is specified"
    assert claim_rejection("data", {}, [STORAGE]) == Rejection(
        "LimitRanger",
        ("LimitRange/storage",),
        f"[{min_message}, {max_message}]",
        (pvc_violation("storage", min_message), pvc_violation("storage", max_message)),
        refused="PersistentVolumeClaim/data",
    )


@pytest.mark.parametrize(
    ("requests", "ranges"),
    [({"storage": "1Gi"}, [STORAGE]), ({"storage": "2Gi"}, [STORAGE]), ({"storage": "5Gi"}, [])],
)
def test_claim_rejection_admits_a_claim_within_the_ranges(requests: dict[str, str], ranges: list[LimitRange]) -> None:
    assert claim_rejection("data", quantities(requests), ranges) is None


def test_the_first_refused_template_refuses_pod_0_and_so_every_pod() -> None:
    """Claims are created per template in order; the first refused names pod 0's claim, for all pods."""
    claims = (template("logs", "1Gi"), template("data", "500Mi"), template("cache", "5Gi"))
    message = "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"
    assert stateful_set_claims_rejection("db", claims, [STORAGE]) == Rejection(
        "LimitRanger",
        ("LimitRange/storage",),
        message,
        (pvc_violation("storage", message),),
        refused="PersistentVolumeClaim/data-db-0",
    )


def test_claims_within_the_ranges_refuse_nothing() -> None:
    assert stateful_set_claims_rejection("db", (template("data", "1Gi"),), [STORAGE]) is None
    assert stateful_set_claims_rejection("db", (), [STORAGE]) is None


def test_a_refused_claim_comes_before_the_pods_own_violations() -> None:
    pod_range = LimitRange("cpu", NS, (set_defaults(LimitRangeItem("Container", max=quantities({"cpu": "800m"}))),))
    ev = evaluate_pod(spec([C("app", {"cpu": "500m"}, {"cpu": "1.5"})]), limit_ranges=[pod_range])
    claims = (template("data", "5Gi"),)
    rejection = pods_limit_range_rejection("db", claims, [pod_range, STORAGE], ev.limit_violations)
    assert rejection is not None
    assert (rejection.objects, rejection.refused) == (("LimitRange/storage",), "PersistentVolumeClaim/data-db-0")
    assert rejection.message == "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi"


def test_without_a_refused_claim_the_pods_own_violations_refuse() -> None:
    pod_range = LimitRange("cpu", NS, (set_defaults(LimitRangeItem("Container", max=quantities({"cpu": "800m"}))),))
    ev = evaluate_pod(spec([C("app", {"cpu": "500m"}, {"cpu": "1.5"})]), limit_ranges=[pod_range])
    rejection = pods_limit_range_rejection("web", (), [pod_range], ev.limit_violations)
    assert rejection is not None
    assert (rejection.by, rejection.objects, rejection.refused) == ("LimitRanger", ("LimitRange/cpu",), None)
    assert rejection.message == "maximum cpu usage per Container is 800m, but limit is 1500m"


def test_nothing_to_refuse() -> None:
    assert pods_limit_range_rejection("web", (template("data", "1Gi"),), [STORAGE], ()) is None


def test_a_quota_refusing_the_next_pods_claim_names_it_by_ordinal() -> None:
    """Two claims of 1Gi fit a quota of 2Gi: the third pod's claim ``data-db-2`` is refused."""
    ev = evaluate_pod(spec([C("app", {"cpu": "100m"}, {})]))
    applicant = Applicant(0, "StatefulSet", "db", NS, 3, ev, claims=(template("data", "1Gi"),))
    q = ResourceQuota("storage", NS, quantities({"requests.storage": "2Gi"}))
    admitted, _ = admit_to_quotas([applicant], {NS: [LocatedQuota(q, Location(0, ()))]})
    message = (
        "exceeded quota: storage, requested: requests.storage=1Gi, used: requests.storage=2Gi, "
        "limited: requests.storage=2Gi"
    )
    assert admitted[0] == Admitted(
        2,
        Rejection(
            "ResourceQuota", ("ResourceQuota/storage",), message, pods=1, refused="PersistentVolumeClaim/data-db-2"
        ),
        0,
        ("storage", "requests.storage"),
    )
