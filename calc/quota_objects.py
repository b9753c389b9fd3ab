"""What creating an object other than a pod counts against its namespace's quotas: object
counts (``count/<resource>.<group>``, and the older names of the core kinds), a Service's load
balancer and node ports, a PersistentVolumeClaim's storage, per storage class; and what a
controller creates with its object (``Creation``, ``CREATES``).

Sources: ``pkg/quota/v1/evaluator/core/registry.go``, ``services.go`` and
``persistent_volume_claims.go``; the Service defaults of ``pkg/apis/core/v1/defaults.go``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from calc.pod import ResourceList
from calc.quantity import Quantity
from calc.quota import STORAGE_CLASS_SUFFIX

_ONE = Quantity(1_000_000_000)


# Object counts: ``count/<resource>.<group>`` for any kind, and the older names of the core kinds.
_PLURALS = {
    "Endpoints": "endpoints",
    "Ingress": "ingresses",
    "NetworkPolicy": "networkpolicies",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "PriorityClass": "priorityclasses",
    "StorageClass": "storageclasses",
    "IngressClass": "ingressclasses",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
}
_LEGACY = {
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "ReplicationController": "replicationcontrollers",
    "ResourceQuota": "resourcequotas",
}


def plural(kind: str) -> str:
    """The resource name of a kind (``Deployment`` -> ``deployments``, ``Ingress`` -> ``ingresses``)."""
    if kind in _PLURALS:
        return _PLURALS[kind]
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "o", "u"):
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def counted_as_object(kind: str) -> bool:
    """Whether creating an object of ``kind`` counts against its namespace's quotas as an
    object (``object_usage``): every kind but a Pod, whose usage is its own evaluator's
    (``pod_usage``), a List, which is no object but a wrapper of its items, and a Node,
    which lives in no namespace (the admission plugin passes over an object without one).

    Sources: ``pkg/quota/v1/evaluator/core/registry.go`` (the pod evaluator, and
    ``count/<resource>`` for every other kind), ``k8s.io/apiserver/pkg/admission/plugin/resourcequota``
    (``Validate``: only namespaced objects).
    """
    return kind != "Pod" and not kind.endswith("List") and kind != "Node"


CLUSTER_IP = "ClusterIP"


def defaulted_service_type(declared: str | None) -> str:
    """A Service's ``spec.type``: ``ClusterIP`` where it is not set.

    Source: ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Service``)."""
    return declared or CLUSTER_IP


def allocates_load_balancer_node_ports(declared: bool | None) -> bool:
    """A Service's ``spec.allocateLoadBalancerNodePorts``: true where it is not set (it
    matters only to a LoadBalancer, the one type it is defaulted for).

    Source: ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Service``)."""
    return declared is not False


def service_node_ports(service_type: str, ports: Sequence[bool], allocate_load_balancer_node_ports: bool | None) -> int:
    """The node ports a Service counts (``services.nodeports``): one per port of a NodePort or
    LoadBalancer Service; a LoadBalancer with ``allocateLoadBalancerNodePorts: false`` counts
    only the ports that name a ``nodePort`` (``ports``: whether each does). ``service_type``
    is the defaulted one (``defaulted_service_type``); an unset
    ``allocateLoadBalancerNodePorts`` is true (``allocates_load_balancer_node_ports``).

    Source: ``pkg/quota/v1/evaluator/core/services.go`` (``Usage``)."""
    if service_type not in ("NodePort", "LoadBalancer"):
        return 0
    if service_type == "LoadBalancer" and not allocates_load_balancer_node_ports(allocate_load_balancer_node_ports):
        return sum(ports)
    return len(ports)


BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def claim_storage_class(beta_annotation: str | None, storage_class_name: str | None) -> str | None:
    """The storage class a PersistentVolumeClaim is charged to: the beta annotation
    ``volume.beta.kubernetes.io/storage-class`` where it is present (even empty), else
    ``spec.storageClassName``; an empty class is none (None).

    Sources: ``k8s.io/component-helpers/storage/volume`` (``GetPersistentVolumeClaimClass``),
    ``pkg/quota/v1/evaluator/core/persistent_volume_claims.go`` (the per-class resources)."""
    chosen = beta_annotation if beta_annotation is not None else storage_class_name
    return chosen or None


def object_usage(
    kind: str,
    group: str,
    service_type: str | None = None,
    node_ports: int = 0,
    storage: Quantity | None = None,
    storage_class: str | None = None,
) -> dict[str, Quantity]:
    """What creating one object of ``kind`` (API group ``group``, "" for core) counts against quotas.

    Pods are not counted here: their usage (``pods``, ``count/pods``, compute) is ``pod_usage``.
    A Service of type LoadBalancer also counts ``services.loadbalancers``; NodePort and
    LoadBalancer Services count their node ports; a PersistentVolumeClaim its ``requests.storage``
    and, with a storage class, ``<class>.storageclass.storage.k8s.io/requests.storage`` and
    ``.../persistentvolumeclaims`` (``pkg/quota/v1/evaluator/core/persistent_volume_claims.go``).
    What a controller creates (a Deployment's ReplicaSet) is an object of its own.
    """
    resource = plural(kind)
    out = {f"count/{resource}" + (f".{group}" if group else ""): _ONE}
    if not group and kind in _LEGACY:
        out[_LEGACY[kind]] = _ONE
    if kind == "Service" and not group:
        if service_type == "LoadBalancer":
            out["services.loadbalancers"] = _ONE
        if node_ports:
            out["services.nodeports"] = Quantity(node_ports * 1_000_000_000)
    if kind == "PersistentVolumeClaim" and not group:
        if storage_class:
            out[f"{storage_class}{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"] = _ONE
        if storage is not None:
            out["requests.storage"] = storage
            if storage_class:
                out[f"{storage_class}{STORAGE_CLASS_SUFFIX}requests.storage"] = storage
    return out


# What a controller creates before its pods: (kind, API group), in order.
CREATES: dict[str, tuple[tuple[str, str], ...]] = {
    "Deployment": (("ReplicaSet", "apps"),),
    "CronJob": (("Job", "batch"),),
}


@dataclass(frozen=True, slots=True)
class Creation:
    """An object other than a pod that the stream creates, and what it counts against quotas
    (``object_usage``)."""

    kind: str
    name: str | None  # None: named by its controller (a Deployment's ReplicaSet)
    usage: ResourceList
    requests: ResourceList = field(default_factory=dict)  # a claim's: LimitRanger reads them

    def label(self, owner: str) -> str:
        return f"{self.kind}/{self.name}" if self.name is not None else f"{self.kind} of {owner}"
