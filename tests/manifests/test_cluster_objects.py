"""What creating a cluster object counts against quotas, read from its manifest
(``podcalc.reading.cluster.creations``, the rules in ``calc.quota_objects``)."""

from __future__ import annotations

from typing import Any

import pytest

from podcalc.reading.cluster import creations
from podcalc.reading.limits import DEFAULT_LIMITS


def usage(obj: dict[str, Any]) -> dict[str, str]:
    (created,) = creations(obj, DEFAULT_LIMITS)
    return {name: str(q) for name, q in created.usage.items()}


def claim(annotations: dict[str, Any] | None, class_name: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"resources": {"requests": {"storage": "10Gi"}}}
    if class_name is not None:
        spec["storageClassName"] = class_name
    metadata: dict[str, Any] = {"name": "data"}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": metadata, "spec": spec}


BETA = "volume.beta.kubernetes.io/storage-class"


@pytest.mark.parametrize(
    ("annotations", "class_name", "charged"),
    [
        pytest.param({BETA: "gold"}, "silver", "gold", id="the beta annotation wins"),
        pytest.param(None, "silver", "silver", id="spec.storageClassName"),
        pytest.param({BETA: ""}, "silver", None, id="an empty annotation: no class"),
        pytest.param({BETA: 5}, "silver", None, id="an annotation that is no string names no class"),
    ],
)
def test_a_claim_is_charged_to_its_storage_class(
    annotations: dict[str, Any] | None, class_name: str | None, charged: str | None
) -> None:
    expected = {"count/persistentvolumeclaims": "1", "persistentvolumeclaims": "1", "requests.storage": "10Gi"}
    if charged is not None:
        prefix = f"{charged}.storageclass.storage.k8s.io/"
        expected |= {prefix + "persistentvolumeclaims": "1", prefix + "requests.storage": "10Gi"}
    assert usage(claim(annotations, class_name)) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"ports": [{"port": 80}]}, {}, id="no type: ClusterIP"),
        pytest.param({"type": "", "ports": [{"port": 80}]}, {}, id="an empty type: ClusterIP"),
        pytest.param(
            {"type": "NodePort", "ports": [{"port": 80}, {"port": 81}]}, {"services.nodeports": "2"}, id="NodePort"
        ),
        pytest.param(
            {
                "type": "LoadBalancer",
                "allocateLoadBalancerNodePorts": False,
                "ports": [{"port": 80}, {"nodePort": 30001}],
            },
            {"services.loadbalancers": "1", "services.nodeports": "1"},
            id="a LoadBalancer without allocated node ports counts the named ones",
        ),
    ],
)
def test_a_service_counts_its_defaulted_type(spec: dict[str, Any], expected: dict[str, str]) -> None:
    service = {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web"}, "spec": spec}
    assert usage(service) == {"count/services": "1", "services": "1"} | expected
