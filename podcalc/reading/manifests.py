"""Manifests: the objects of a stream, what each one is, and a workload's PodSpec.

Manifests are plain decoded values (dicts, lists, strings); this module reads them into the
core's typed values and locates every problem (document, JSON pointer, source).

| kind | pod template |
| --- | --- |
| Pod | ``spec`` |
| Deployment, StatefulSet, ReplicaSet, ReplicationController, DaemonSet, Job | ``spec.template.spec`` |
| CronJob | ``spec.jobTemplate.spec.template.spec`` |
| PodTemplate | ``template.spec`` |
| a bare PodSpec (has ``containers``) | the document |

Lists (``kind: List`` and the ``*List`` kinds ``kubectl get -o yaml`` prints) are expanded;
other objects are skipped with the reason: Kubernetes' own kinds without a pod template
(Service, ConfigMap, ...; ``NO_POD_TEMPLATE``, by API group) run no pods, and any other kind
(``kind: Prometheus``, or a ``Service`` of ``serving.knative.dev``) is a custom resource
podcalc does not compute, whose operator may run pods.
How many pods each kind runs is the core's rule (``calc.workloads.pods_at_once``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from calc.admission import PriorityClass
from calc.errors import Location, Path, Violation
from calc.pod import PodSpec, ResourceList
from calc.scheduling import Placement
from calc.workloads import JOBS, REPLICATED, pods_at_once
from podcalc.errors import Entry, TooLargeError, pointer
from podcalc.reading.limits import Limits
from podcalc.reading.podspec import FieldError, flatten_messages, load_resource_list, read_placement, read_pod_spec

MAX_INT32 = 2**31 - 1
_TEMPLATE = ("spec", "template", "spec")
TEMPLATE_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "Deployment": _TEMPLATE,
    "StatefulSet": _TEMPLATE,
    "ReplicaSet": _TEMPLATE,
    "ReplicationController": _TEMPLATE,
    "DaemonSet": _TEMPLATE,
    "Job": _TEMPLATE,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}


def count_fields(kind: str) -> tuple[Path, tuple[str, ...]]:
    """Where an object's pod counts stand, and their fields: ``replicas`` for the kinds of
    ``calc.workloads.REPLICATED``, ``parallelism`` and ``completions`` for ``JOBS``, in the
    spec that holds the pod template (a CronJob's ``spec.jobTemplate.spec``); no fields for
    the other kinds."""
    names = ("replicas",) if kind in REPLICATED else ("parallelism", "completions") if kind in JOBS else ()
    return (TEMPLATE_PATHS[kind][:-2] if names else ()), names


def replicas_path(kind: str) -> Path | None:
    """The field that sets how many pods an object of ``kind`` runs at once: the first of its
    ``count_fields`` (``spec.replicas``; a Job's ``spec.parallelism``, a CronJob's in its job
    template); None for the kinds with a pod template and no such field (Pod and PodTemplate
    run one pod, a DaemonSet one per node). A kind without a pod template here has
    ``spec.replicas``, the field a custom resource's scale subresource usually reads."""
    if kind not in TEMPLATE_PATHS:
        return ("spec", "replicas")
    spec, names = count_fields(kind)
    return (*spec, names[0]) if names else None


# Kubernetes' built-in kinds that have no pod template, by API group ("" is the core group,
# apiVersion "v1"; "extensions" is the old group of Ingress and NetworkPolicy): they run no pods.
NO_POD_TEMPLATE: dict[str, frozenset[str]] = {
    group: frozenset(kinds.split())
    for group, kinds in {
        "": "Service ConfigMap Secret ServiceAccount Namespace PersistentVolumeClaim PersistentVolume Endpoints "
        "Event ComponentStatus Binding LimitRange ResourceQuota Node",
        "apps": "ControllerRevision",
        "autoscaling": "HorizontalPodAutoscaler",
        "policy": "PodDisruptionBudget PodSecurityPolicy Eviction",
        "extensions": "Ingress NetworkPolicy PodSecurityPolicy",
        "networking.k8s.io": "Ingress IngressClass NetworkPolicy IPAddress ServiceCIDR",
        "rbac.authorization.k8s.io": "Role ClusterRole RoleBinding ClusterRoleBinding",
        "storage.k8s.io": "StorageClass VolumeAttachment CSIDriver CSINode CSIStorageCapacity VolumeAttributesClass",
        "scheduling.k8s.io": "PriorityClass",
        "node.k8s.io": "RuntimeClass",
        "apiextensions.k8s.io": "CustomResourceDefinition",
        "admissionregistration.k8s.io": "MutatingWebhookConfiguration ValidatingWebhookConfiguration "
        "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding MutatingAdmissionPolicy "
        "MutatingAdmissionPolicyBinding",
        "apiregistration.k8s.io": "APIService",
        "discovery.k8s.io": "EndpointSlice",
        "coordination.k8s.io": "Lease LeaseCandidate",
        "certificates.k8s.io": "CertificateSigningRequest ClusterTrustBundle",
        "flowcontrol.apiserver.k8s.io": "FlowSchema PriorityLevelConfiguration",
        "events.k8s.io": "Event",
        "resource.k8s.io": "ResourceClaim ResourceClaimTemplate DeviceClass ResourceSlice DeviceTaintRule",
        "internal.apiserver.k8s.io": "StorageVersion",
        "storagemigration.k8s.io": "StorageVersionMigration",
        "authentication.k8s.io": "TokenReview SelfSubjectReview",
        "authorization.k8s.io": "SubjectAccessReview SelfSubjectAccessReview LocalSubjectAccessReview "
        "SelfSubjectRulesReview",
    }.items()
}
_BUILT_IN_KINDS = frozenset().union(*NO_POD_TEMPLATE.values())
_CLUSTER = "a cluster object: /v1/plan (podcalc plan) applies it to the workloads"
_REASONS = {
    "RuntimeClass": "a RuntimeClass runs no pods; its overhead is added to the pods that name it",
    "LimitRange": _CLUSTER,
    "ResourceQuota": _CLUSTER,
    "Node": _CLUSTER,
    "NodeShape": _CLUSTER,
}


@dataclass(frozen=True, slots=True)
class Document:
    """One decoded document: its index in the stream, and for the CLI where it came from."""

    index: int
    value: Any
    source: str | None = None

    def location(self, path: Path) -> Location:
        return Location(self.index, path, self.source)


Found = list[tuple[Document, Path, Any]]  # (document, path in it, object)


def collect(documents: Iterable[Document], limits: Limits) -> Found:
    """Every object of the stream, Lists expanded, once its size is checked."""
    found = [(doc, path, obj) for doc in documents if doc.value is not None for path, obj in objects(doc.value)]
    if len(found) > limits.workloads:
        raise TooLargeError.limit(f"{len(found):,} objects in the request", limits.workloads, "PODCALC_MAX_WORKLOADS")
    return found


@dataclass(frozen=True, slots=True)
class Workload:
    """A manifest object that runs pods."""

    kind: str
    name: str | None
    namespace: str | None
    path: Path  # where the object stands in its document (inside a List: ("items", i))
    spec_path: Path  # where its PodSpec stands, from the document's root
    pods: int | None  # pods running at once; None for a DaemonSet: one per node


@dataclass(frozen=True, slots=True)
class Skipped:
    """A manifest object that runs no pods, and why it was passed over."""

    kind: str | None
    name: str | None
    namespace: str | None
    path: Path
    reason: str


def objects(document: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every object of a document, Lists (and *List kinds) expanded, with its path."""
    if isinstance(document, Mapping) and _is_list(document):
        items = document.get("items")
        for i, item in enumerate(items if isinstance(items, list) else []):
            yield from objects(item, (*path, "items", i))
    else:
        yield path, document


def _is_list(document: Mapping[str, Any]) -> bool:
    kind = document.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in document


def classify(obj: Any, path: Path) -> Workload | Skipped | list[Violation]:
    """What ``obj`` is: a workload, something skipped, or the reasons it can't be read."""
    if not isinstance(obj, Mapping):
        return [Violation(path, "expected an object (a Kubernetes manifest or a PodSpec)")]
    kind = obj.get("kind")
    if kind is not None and not isinstance(kind, str):
        return [Violation((*path, "kind"), "must be a string")]
    read = identity(obj, path)
    if isinstance(read, list):
        return read
    name, namespace = read
    if kind is None:
        if "containers" in obj:
            return Workload("PodSpec", None, None, path, path, 1)
        return Skipped(None, name, namespace, path, "no kind and no containers: not a manifest podcalc knows")
    if kind not in TEMPLATE_PATHS:
        return Skipped(kind, name, namespace, path, _REASONS.get(kind) or _skipped(kind, obj.get("apiVersion")))
    spec_path = (*path, *TEMPLATE_PATHS[kind])
    pods = _pods(kind, obj, path)
    if isinstance(pods, list):
        return pods
    return Workload(kind, name, namespace, path, spec_path, pods)


def identity(obj: Mapping[str, Any], path: Path) -> tuple[str | None, str | None] | list[Violation]:
    """An object's ``metadata.name`` and ``metadata.namespace`` (None where not set), or why
    they cannot be read."""
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        return [Violation((*path, "metadata"), "must be an object")]
    read: dict[str, str | None] = {"name": None, "namespace": None}
    violations = []
    for key in read:
        value = (metadata or {}).get(key)
        if value is not None and not isinstance(value, str):
            violations.append(Violation((*path, "metadata", key), "must be a string"))
        else:
            read[key] = value
    if violations:
        return violations
    return read["name"], read["namespace"]


def names(obj: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """An object's ``metadata.name`` and ``metadata.namespace`` where each is a string, None
    otherwise: for the readers that pass over what ``identity`` refuses (``classify`` reports it)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return None, None
    name, namespace = metadata.get("name"), metadata.get("namespace")
    return (name if isinstance(name, str) else None), (namespace if isinstance(namespace, str) else None)


def _skipped(kind: str, api_version: Any) -> str:
    """Why an object of ``kind`` is passed over: a built-in kind without a pod template runs no
    pods; any other kind (one of another API group is a custom resource, whatever its name)
    is one podcalc does not compute, and what it runs is not counted."""
    if not isinstance(api_version, str):  # no apiVersion: the kind's name alone tells
        built_in = kind in _BUILT_IN_KINDS
    else:
        group = api_version.rpartition("/")[0]
        built_in = kind in NO_POD_TEMPLATE.get(group, ())
    if built_in:
        return f"a {kind} has no pod template: it runs no pods"
    of = f" ({api_version})" if isinstance(api_version, str) and api_version else ""
    return f"a {kind}{of} is a kind podcalc does not compute, whose operator may run pods: they are not counted here"


def _pods(kind: str, obj: Mapping[str, Any], path: Path) -> int | list[Violation] | None:
    """How many pods the object runs at once: its counts read, the rule the core's."""
    counts: dict[str, int | None] = {"replicas": None, "parallelism": None, "completions": None}
    errors: list[Violation] = []
    spec_path, names = count_fields(kind)
    spec, _ = value_at(obj, spec_path)
    for key in names:
        value = _count(spec if spec is not None else {}, key, (*path, *spec_path))
        if isinstance(value, list):
            errors += value
        else:
            counts[key] = value
    if errors:
        return errors
    return pods_at_once(kind, counts["replicas"], counts["parallelism"], counts["completions"])


def _count(spec: Mapping[str, Any], key: str, path: Path) -> int | list[Violation] | None:
    """A count field (None where it is not set), or why it is not a count."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return [Violation((*path, key), "must be a whole number")]
    if value < 0:
        return [Violation((*path, key), "must be greater than or equal to 0")]
    if value > MAX_INT32:  # the API's int32 field cannot hold it
        return [Violation((*path, key), f"must be less than or equal to {MAX_INT32}")]
    return value


def runtime_classes(found: Found, limits: Limits) -> tuple[dict[str, ResourceList | None], list[Entry]]:
    """The RuntimeClasses of the stream: name -> overhead.podFixed (None without one)."""
    classes: dict[str, ResourceList | None] = {}
    errors: list[Entry] = []
    for doc, path, obj in found:
        if not isinstance(obj, Mapping) or obj.get("kind") != "RuntimeClass":
            continue
        name, _ = names(obj)
        overhead = obj.get("overhead")
        fixed = overhead.get("podFixed") if isinstance(overhead, Mapping) else None
        if not isinstance(name, str):
            continue  # classify reports a malformed name
        try:
            classes[name] = None if fixed is None else load_resource_list(fixed, limits.quantity_length)
        except FieldError as err:
            at = pointer(*path, "overhead", "podFixed")
            errors += [stream_error(doc, None, None, detail, at) for at, detail in flatten_messages(err.messages, at)]
    return classes, errors


def priority_classes(found: Found) -> tuple[list[PriorityClass], list[Entry]]:
    """The PriorityClasses of the stream (``scheduling.k8s.io``), and what is wrong with them."""
    classes: list[PriorityClass] = []
    errors: list[Entry] = []
    for doc, path, obj in found:
        if not isinstance(obj, Mapping) or obj.get("kind") != "PriorityClass":
            continue
        name, _ = names(obj)
        value, default = obj.get("value"), obj.get("globalDefault", False)
        if not isinstance(name, str):
            continue  # classify reports a malformed name
        if type(value) is not int or not -(2**31) <= value <= MAX_INT32:
            errors.append(stream_error(doc, None, (*path, "value"), "Required value: a whole number (int32)"))
        elif not isinstance(default, bool):
            errors.append(stream_error(doc, None, (*path, "globalDefault"), "must be true or false"))
        else:
            classes.append(PriorityClass(name, value, default))
    return classes, errors


def read_workload_pod(doc: Document, workload: Workload, limits: Limits) -> PodSpec | list[Entry]:
    """The PodSpec of a workload's pod template, or every problem with it, located."""
    raw_spec, missing = value_at(doc.value, workload.spec_path)
    if missing is not None:
        what = "a PodSpec object" if workload.kind == "PodSpec" else f"a {workload.kind} needs an object here"
        return [stream_error(doc, workload, missing, what)]
    count = sum(
        len(raw_spec.get(f) or ()) for f in ("containers", "initContainers") if isinstance(raw_spec.get(f), list)
    )
    if count > limits.containers:
        where = stream_error(doc, workload, workload.spec_path, f"{count} containers")
        raise TooLargeError.limit(
            f"{count:,} containers in one pod", limits.containers, "PODCALC_MAX_CONTAINERS", [where]
        )
    prefix = pointer(*workload.spec_path)
    try:
        return read_pod_spec(raw_spec, limits.quantity_length)
    except FieldError as err:
        return [stream_error(doc, workload, None, detail, at) for at, detail in flatten_messages(err.messages, prefix)]


def value_at(document: Any, path: Path) -> tuple[Any, Path | None]:
    """The value at ``path``, or the first step that is missing or not an object."""
    value = document
    for i, key in enumerate(path):
        container_ok = isinstance(value, list) if isinstance(key, int) else isinstance(value, Mapping)
        if not container_ok:
            return None, path[:i]
        value = value[key] if isinstance(key, int) else value.get(key)
        if value is None:
            return None, path[: i + 1]
    if not isinstance(value, Mapping):
        return None, path
    return value, None


def workload_placement(doc: Document, workload: Workload) -> Placement | list[Entry]:
    """What the scheduler's filters read of a workload's pod template (``read_placement``),
    or its problems, located."""
    raw_spec, _ = value_at(doc.value, workload.spec_path)
    try:
        return read_placement(raw_spec if raw_spec is not None else {})
    except FieldError as err:
        at = pointer(*workload.spec_path)
        return [
            stream_error(doc, workload, None, detail, where) for where, detail in flatten_messages(err.messages, at)
        ]


def stream_error(
    doc: Document, workload: Workload | None, path: Path | None, detail: str, at: str | None = None
) -> Entry:
    """A problem of the stream, located: document, JSON pointer (``at``, or made of ``path``),
    source, and the workload it concerns."""
    entry: Entry = {
        "document": doc.index,
        "pointer": at if at is not None else pointer(*(path or ())),
        "detail": detail,
    }
    if workload is not None:
        entry["kind"], entry["name"] = workload.kind, workload.name
    if doc.source is not None:
        entry["source"] = doc.source
    return entry
