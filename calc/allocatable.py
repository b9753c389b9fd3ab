"""Node allocatable: what a node offers the scheduler, from its capacity and what it holds back.

The kubelet's node allocatable (``pkg/kubelet/cm``)::

    allocatable = capacity - kube-reserved - system-reserved - hard eviction threshold

the threshold counting for memory (``memory.available``) and ephemeral-storage
(``nodefs.available``), and ``pods`` = maxPods. The managed offerings set kube-reserved by
published formulas; each model names its source and the version implemented
(``MODEL_SOURCES``). A Node of a cluster reports its allocatable itself
(``node_allocatable``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from calc.pod import ResourceList
from calc.quantity import NANO, Format, Quantity
from calc.resources import CPU, EPHEMERAL_STORAGE, MEMORY

PODS = "pods"
DEFAULT_MAX_PODS = 110  # the kubelet's --max-pods default
MEMORY_AVAILABLE = "memory.available"
NODEFS_AVAILABLE = "nodefs.available"
MI = 2**20
GI = 2**30


class Model(enum.Enum):
    """How kube-reserved and eviction thresholds are set."""

    EXPLICIT = "explicit"  # kubeReserved, systemReserved and evictionHard as given (kubelet defaults)
    GKE = "gke"
    EKS = "eks"
    AKS = "aks"  # AKS 1.29 and later
    AKS_LEGACY = "aks-legacy"  # AKS before 1.29


# (upper bound in cores or GiB, fraction of that band) -- the last band has no upper bound.
Bands = tuple[tuple[Fraction | None, Fraction], ...]
# GKE (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes) and EKS
# (amazon-eks-ami, nodeadm kubelet config getCPUMillicoresToReserve) share the CPU bands.
CPU_BANDS: Bands = (
    (Fraction(1), Fraction(6, 100)),
    (Fraction(2), Fraction(1, 100)),
    (Fraction(4), Fraction(5, 1000)),
    (None, Fraction(25, 10000)),
)
# GKE memory bands; also AKS before 1.29.
MEMORY_BANDS: Bands = (
    (Fraction(4), Fraction(25, 100)),
    (Fraction(8), Fraction(20, 100)),
    (Fraction(16), Fraction(10, 100)),
    (Fraction(128), Fraction(6, 100)),
    (None, Fraction(2, 100)),
)
# AKS CPU: 60m for the first core, 40m the second, 20m each of the next two, 10m after.
AKS_CPU_BANDS: Bands = (
    (Fraction(1), Fraction(60, 1000)),
    (Fraction(2), Fraction(40, 1000)),
    (Fraction(4), Fraction(20, 1000)),
    (None, Fraction(10, 1000)),
)

MODEL_SOURCES = {
    Model.EXPLICIT: "kubelet node allocatable: --kube-reserved, --system-reserved, --eviction-hard "
    "(default memory.available<100Mi, nodefs.available<10%)",
    Model.GKE: "GKE Standard node allocatable (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes): "
    "memory 255Mi below 1Gi else 25% of the first 4Gi, 20% of the next 4Gi, 10% of the next 8Gi, 6% of the "
    "next 112Gi, 2% above 128Gi; CPU 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% "
    "above four; eviction memory.available<100Mi",
    Model.EKS: "Amazon EKS AMI (awslabs/amazon-eks-ami, AL2 bootstrap.sh and AL2023 nodeadm): kube-reserved "
    "memory 11Mi x maxPods + 255Mi, CPU as GKE's bands; eviction memory.available<100Mi, nodefs.available<10%",
    Model.AKS: "AKS 1.29+ (learn.microsoft.com/azure/aks/node-resource-reservations): kube-reserved memory "
    "min(20Mi x maxPods + 50Mi, 25% of memory); CPU 60m, 40m, 20m x2, then 10m per core; "
    "eviction memory.available<100Mi",
    Model.AKS_LEGACY: "AKS before 1.29 (learn.microsoft.com/azure/aks/node-resource-reservations): kube-reserved "
    "memory 25% of the first 4Gi, 20% of the next 4Gi, 10% of the next 8Gi, 6% of the next 112Gi, 2% above "
    "128Gi; CPU as AKS 1.29+; eviction memory.available<750Mi",
}


@dataclass(frozen=True, slots=True)
class Reservation:
    """What a node holds back from its capacity."""

    model: Model
    kube_reserved: ResourceList = field(default_factory=dict)
    system_reserved: ResourceList = field(default_factory=dict)
    # evictionHard: memory.available / nodefs.available, a quantity or a fraction of capacity
    eviction_hard: Mapping[str, Quantity | Fraction] = field(default_factory=dict)


_MEMORY_100MI: Mapping[str, Quantity | Fraction] = {MEMORY_AVAILABLE: Quantity(100 * MI * NANO, Format.BINARY_SI)}
KUBELET_EVICTION_DEFAULTS: Mapping[str, Quantity | Fraction] = {**_MEMORY_100MI, NODEFS_AVAILABLE: Fraction(10, 100)}


def _banded(total: Fraction, bands: Bands) -> Fraction:
    """sum over bands of (the part of ``total`` inside the band) x the band's fraction."""
    reserved, lower = Fraction(0), Fraction(0)
    for upper, share in bands:
        top = total if upper is None else min(total, upper)
        if top > lower:
            reserved += (top - lower) * share
        if upper is None or total <= upper:
            break
        lower = upper
    return reserved


def _cpu(cores: Fraction) -> Quantity:
    """Cores as a quantity, rounded up to whole millicores."""
    return Quantity(-(-cores * 1000 // 1) * 10**6, Format.DECIMAL_SI)


def _bytes(amount: Fraction) -> Quantity:
    """Bytes as a quantity, rounded up to whole bytes."""
    return Quantity(-(-amount // 1) * NANO, Format.BINARY_SI)


def reservation(model: Model, capacity: ResourceList, max_pods: int) -> Reservation:
    """The kube-reserved and eviction thresholds ``model`` sets for a node of ``capacity``
    running up to ``max_pods`` pods: the offering's published formula, as ``MODEL_SOURCES``
    quotes it (bands of cores and GiB for GKE, EKS and AKS, ``11Mi x maxPods + 255Mi`` of
    memory for EKS, ``min(20Mi x maxPods + 50Mi, 25%)`` for AKS 1.29+)."""
    cores = capacity[CPU].value if CPU in capacity else Fraction(0)
    memory = capacity[MEMORY].value if MEMORY in capacity else Fraction(0)
    if model is Model.GKE:
        mem = Fraction(255 * MI) if memory < GI else _banded(memory / GI, MEMORY_BANDS) * GI
        kube = {CPU: _cpu(_banded(cores, CPU_BANDS)), MEMORY: _bytes(mem)}
        return Reservation(model, kube, {}, _MEMORY_100MI)
    if model is Model.EKS:
        kube = {CPU: _cpu(_banded(cores, CPU_BANDS)), MEMORY: _bytes(Fraction((11 * max_pods + 255) * MI))}
        return Reservation(model, kube, {}, KUBELET_EVICTION_DEFAULTS)  # EKS keeps the kubelet's
    if model is Model.AKS:
        mem = min(Fraction((20 * max_pods + 50) * MI), memory / 4)
        kube = {CPU: _cpu(_banded(cores, AKS_CPU_BANDS)), MEMORY: _bytes(mem)}
        return Reservation(model, kube, {}, _MEMORY_100MI)
    if model is Model.AKS_LEGACY:
        kube = {CPU: _cpu(_banded(cores, AKS_CPU_BANDS)), MEMORY: _bytes(_banded(memory / GI, MEMORY_BANDS) * GI)}
        return Reservation(model, kube, {}, {MEMORY_AVAILABLE: Quantity(750 * MI * NANO, Format.BINARY_SI)})
    return Reservation(model, {}, {}, KUBELET_EVICTION_DEFAULTS)


def allocatable(capacity: ResourceList, reserved: Reservation, max_pods: int) -> dict[str, Quantity]:
    """capacity - kube-reserved - system-reserved - hard eviction, clamped at zero; pods = maxPods.

    The kubelet's node allocatable (``pkg/kubelet/cm`` ``GetNodeAllocatableAbsolute`` less the
    hard eviction threshold, as ``getNodeAllocatableInternal`` reports it to the scheduler):
    ``memory.available`` counts against memory, ``nodefs.available`` against ephemeral-storage.
    """
    out: dict[str, Quantity] = {}
    for name, q in capacity.items():
        if name == PODS:
            continue
        nanos = q.nanos
        for held in (reserved.kube_reserved, reserved.system_reserved):
            if name in held:
                nanos -= held[name].nanos
        signal = {MEMORY: MEMORY_AVAILABLE, EPHEMERAL_STORAGE: NODEFS_AVAILABLE}.get(name)
        threshold = reserved.eviction_hard.get(signal) if signal else None
        if isinstance(threshold, Quantity):
            nanos -= threshold.nanos
        elif isinstance(threshold, Fraction):
            nanos -= -(-q.nanos * threshold.numerator // threshold.denominator)
        out[name] = Quantity(max(nanos, 0), q.format)
    out[PODS] = Quantity(max_pods * NANO)
    return out


def node_allocatable(reported: ResourceList) -> dict[str, Quantity]:
    """What a Node offers the scheduler: its ``status.allocatable`` (the reader falls back to
    ``status.capacity`` where a Node reports no allocatable, as the kubelet's defaulting makes
    them equal), with ``pods`` at the kubelet's default of 110 where it is not reported."""
    out = dict(reported)
    out.setdefault(PODS, Quantity(DEFAULT_MAX_PODS * NANO))
    return out
