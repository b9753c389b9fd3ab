"""A live cluster's snapshot: what ``kubectl get ... -A -o yaml`` prints, read into the
cluster as it runs.

    kubectl get nodes,pods,resourcequotas,limitranges,deployments,replicasets,statefulsets,\\
      daemonsets,jobs,cronjobs -A -o yaml > cluster.yaml

The snapshot's Pods are what runs: each is read with its own spec (and, where a container
was resized in place, what its status reports: ``calc.live.running_figures``), its
phase, its node and the workload that owns it (``ownerReferences``, followed from a
ReplicaSet to its Deployment and from a Job to its CronJob). Its controllers are kept by
(kind, namespace, name), so that a manifest of the same key replaces them. Nodes,
ResourceQuotas (with their ``status.used``) and LimitRanges are read as
``podcalc.reading.cluster`` reads them.

A body of ``POST /v1/plan`` that plans manifests on a snapshot is an object
``{"cluster": ..., "manifests": ...}`` (``read_envelope``).

The values are as the readers decode them, and are checked as ``dict`` and ``list``: on every
field of tens of thousands of pods, an abstract ``Mapping`` check would cost several times as much.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from calc.errors import Path
from calc.live import ContainerStatus, resize_infeasible
from calc.pod import PodSpec
from calc.quantity import Quantity
from calc.scheduling import Placement
from podcalc.errors import Entry, InvalidError, pointer
from podcalc.reading.changes import side
from podcalc.reading.limits import Limits
from podcalc.reading.manifests import (
    Document,
    Found,
    Workload,
    classify,
    read_workload_pod,
    stream_error,
    value_at,
)
from podcalc.reading.podspec import FieldError, flatten_messages, load_resource_list, read_placement

__all__ = ["CONTROLLER_KINDS", "LivePod", "Snapshot", "WorkloadKey", "read_envelope", "read_snapshot"]

WorkloadKey = tuple[str, str, str]  # (kind, namespace, name), as the API server keys objects
CONTROLLER_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"})
# the owners whose own owner stands for them: a Deployment's ReplicaSets, a CronJob's Jobs
_OWNED_BY = {"ReplicaSet": "Deployment", "Job": "CronJob"}
_READ_KINDS = CONTROLLER_KINDS | {"Pod"}


@dataclass(frozen=True, slots=True)
class LivePod:
    """A Pod of the snapshot, as it runs."""

    document: Document
    path: Path
    name: str
    namespace: str
    phase: str  # status.phase; "Pending" where the snapshot has none
    node_name: str | None
    owner: WorkloadKey | None  # the workload that runs it; None for a Pod of its own
    spec: PodSpec  # as written
    placement: Placement  # what the scheduler's filters read; empty for a pod on its node
    # what the kubelet reports of its containers' resources (calc.live.running_figures), by
    # name; empty where every status repeats the spec
    statuses: Mapping[str, ContainerStatus] = field(default_factory=dict)
    infeasible: bool = False  # its PodResizePending condition's reason is Infeasible


@dataclass(slots=True)
class Snapshot:
    """The objects of a snapshot that say what runs and who runs it."""

    pods: list[LivePod] = field(default_factory=list)
    controllers: dict[WorkloadKey, tuple[Document, Workload]] = field(default_factory=dict)


def read_envelope(documents: Sequence[Document], limits: Limits) -> tuple[list[Document], list[Document]] | None:
    """The two streams of a ``{"cluster": ..., "manifests": ...}`` body: a stream that is one
    object with a ``cluster`` field and no ``kind``, each side a YAML or JSON stream as a
    string, a manifest or a list of them, read as ``/v1/diff`` reads its sides (``side``); no
    ``manifests``, none. None for any other stream, which is planned as it is.
    ``InvalidError`` for a field but ``cluster`` and ``manifests``."""
    if len(documents) != 1:
        return None
    value = documents[0].value
    if not isinstance(value, Mapping) or "cluster" not in value or "kind" in value:
        return None
    unknown = sorted(set(value) - {"cluster", "manifests"})
    if unknown:
        raise InvalidError.at(f"/{unknown[0]}", "unknown field: the body takes cluster and manifests")
    manifests = value.get("manifests")
    return side(value["cluster"], "cluster", limits), [] if manifests is None else side(manifests, "manifests", limits)


def _controller(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (kind, name) of the ``ownerReferences`` entry with ``controller: true``."""
    metadata = obj.get("metadata")
    refs = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, dict) and ref.get("controller") is True:
            kind, name = ref.get("kind"), ref.get("name")
            if isinstance(kind, str) and isinstance(name, str):
                return kind, name
    return None


def read_snapshot(found: Found, limits: Limits, default_namespace: str) -> tuple[Snapshot, list[Entry]]:
    """The pods and controllers of a snapshot's objects, and every problem with them."""
    snapshot = Snapshot()
    errors: list[Entry] = []
    parents: dict[WorkloadKey, WorkloadKey] = {}  # a ReplicaSet or Job -> the workload that owns it
    pods: list[tuple[Document, Path, Mapping[str, Any], Workload, str, tuple[str, str] | None]] = []
    for doc, path, obj in found:
        if isinstance(obj, dict) and type(obj.get("kind")) is str and obj["kind"] not in _READ_KINDS:
            continue  # a Node, a quota (podcalc.reading.cluster reads them), or a kind no pod comes from
        what = classify(obj, path)
        if isinstance(what, list):  # kubectl never writes these: a snapshot edited by hand
            errors += [stream_error(doc, None, v.path, v.message) for v in what]
            continue
        if not isinstance(what, Workload) or what.kind not in _READ_KINDS:
            continue  # an object without a kind (a bare PodSpec): kubectl prints none
        namespace = what.namespace or default_namespace
        own: WorkloadKey = (what.kind, namespace, what.name or "")
        owner = _controller(obj)
        if what.kind in _OWNED_BY and owner is not None and owner[0] == _OWNED_BY[what.kind]:
            parents[own] = (owner[0], namespace, owner[1])
        if what.kind == "Pod":
            pods.append((doc, path, obj, what, namespace, owner))
        else:
            snapshot.controllers[own] = (doc, what)
    for key in parents:
        snapshot.controllers.pop(key, None)  # a Deployment's ReplicaSet is the Deployment's
    read = _Replicas(limits)
    for doc, path, obj, what, namespace, owner in pods:
        pod = _live_pod(doc, path, obj, what, namespace, owner, parents, snapshot.controllers, read)
        if isinstance(pod, list):
            errors += pod
        else:
            snapshot.pods.append(pod)
    return snapshot, errors


def _live_pod(
    doc: Document,
    path: Path,
    obj: Mapping[str, Any],
    what: Workload,
    namespace: str,
    owner: tuple[str, str] | None,
    parents: Mapping[WorkloadKey, WorkloadKey],
    controllers: Mapping[WorkloadKey, Any],
    read: _Replicas,
) -> LivePod | list[Entry]:
    key: WorkloadKey | None = (owner[0], namespace, owner[1]) if owner is not None else None
    while key is not None and key in parents:
        key = parents[key]
    if key is not None and key[0] == "ReplicaSet" and key not in controllers:
        # a ReplicaSet the snapshot lacks: its Deployment by name (<deployment>-<pod-template-hash>)
        deployment = ("Deployment", namespace, key[2].rsplit("-", 1)[0])
        if deployment in controllers:
            key = deployment
    read_spec = read.spec(doc, what, key)
    if isinstance(read_spec, list):
        return read_spec
    spec, asked = read_spec
    raw_spec = obj.get("spec")
    raw_spec = raw_spec if isinstance(raw_spec, dict) else {}
    node = raw_spec.get("nodeName")
    try:  # only a pod still to place meets the scheduler's filters
        placement = Placement() if isinstance(node, str) and node else read_placement(raw_spec)
    except FieldError as err:
        at = pointer(*path, "spec")
        return [stream_error(doc, what, None, detail, where) for where, detail in flatten_messages(err.messages, at)]
    status = obj.get("status")
    status = status if isinstance(status, dict) else {}
    phase = status.get("phase")
    infeasible = _resize_infeasible(status)
    return LivePod(
        doc,
        path,
        what.name or "",
        namespace,
        phase if isinstance(phase, str) else "Pending",
        node if isinstance(node, str) and node else None,
        key,
        spec,
        placement,
        _container_statuses(status, asked, infeasible, read.limits),
        infeasible,
    )


Asked = dict[Any, Any]  # container name -> its resources as written in the spec


def _asked(spec: Mapping[str, Any] | None) -> Asked:
    """Each container's ``resources`` as written, by name."""
    asked: Asked = {}
    for field_name in ("containers", "initContainers"):
        listed = spec.get(field_name) if spec is not None else None
        for c in listed if isinstance(listed, list) else ():
            if isinstance(c, dict):
                asked[c.get("name")] = c.get("resources")
    return asked


class _Replicas:
    """Reads each pod's PodSpec, once for the replicas of a workload: a pod whose ``spec``,
    but for ``nodeName``, is written as its workload's previous pod's has that pod's PodSpec
    (a PodSpec is read from its ``spec`` alone), with its own node. The ``spec`` objects are
    compared as decoded (in C), which costs a fraction of reading one. With the PodSpec
    comes each container's ``resources`` as written, by name, which its status is read
    against (``_container_statuses``)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._last: dict[WorkloadKey, tuple[dict[str, Any], PodSpec, Asked]] = {}

    def spec(self, doc: Document, what: Workload, owner: WorkloadKey | None) -> tuple[PodSpec, Asked] | list[Entry]:
        raw, _ = value_at(doc.value, what.spec_path)
        written = {k: v for k, v in raw.items() if k != "nodeName"} if raw is not None else None
        last = self._last.get(owner) if owner is not None else None
        if last is not None and last[0] == written:
            node = raw.get("nodeName")
            spec = last[1] if last[1].node_name == node else dataclasses.replace(last[1], node_name=node)
            return spec, last[2]
        read = read_workload_pod(doc, what, self.limits)
        if isinstance(read, list):
            return read
        asked = _asked(raw)
        if owner is not None and written is not None:
            self._last[owner] = written, read, asked
        return read, asked


def _container_statuses(
    status: Mapping[str, Any], asked: Asked, infeasible: bool, limits: Limits
) -> dict[str, ContainerStatus]:
    """Per container name, what ``status.containerStatuses`` and ``initContainerStatuses``
    report of its resources (``allocatedResources``, ``resources``): what an in-place resize
    leaves there. A status the kubelet wrote is not refused: what cannot be read is left out.
    A status written as the container's ``spec`` resources (no resize under way: most pods)
    changes nothing and is passed over unread, unless the resize is infeasible (the spec
    then does not count, the status does)."""
    out: dict[str, ContainerStatus] = {}
    for field_name in ("containerStatuses", "initContainerStatuses"):
        listed = status.get(field_name)
        for s in listed if isinstance(listed, list) else ():
            if not isinstance(s, dict) or not isinstance(s.get("name"), str):
                continue
            resources, allocated = s.get("resources"), s.get("allocatedResources")
            if resources is None and allocated is None:
                continue  # the kubelet reports nothing of its resources
            spec = asked.get(s["name"])
            if (
                not infeasible
                and isinstance(spec, dict)
                and resources == spec
                and allocated in (None, spec.get("requests"))
            ):
                continue
            applied = isinstance(resources, dict)
            resources = resources if isinstance(resources, dict) else {}
            out[s["name"]] = ContainerStatus(
                _readable(allocated, limits),
                _readable(resources.get("requests"), limits),
                _readable(resources.get("limits"), limits),
                applied,
            )
    return out


def _readable(value: Any, limits: Limits) -> dict[str, Quantity] | None:
    """A resource list of a status, or None where it is absent or cannot be read."""
    if value is None:
        return None
    try:
        return load_resource_list(value, limits.quantity_length)
    except FieldError:
        return None


def _resize_infeasible(status: Mapping[str, Any]) -> bool:
    """Whether the pod's resize is infeasible, from its ``status.conditions``."""
    conditions = status.get("conditions")
    listed = conditions if isinstance(conditions, list) else ()
    return resize_infeasible([(c.get("type"), c.get("reason")) for c in listed if isinstance(c, dict)])
