"""Nodes: pods per node, and bin packing onto the Nodes given and onto node shapes.

What a node offers is its allocatable (``calc.allocatable``). A pod fits a node when, for
every resource it requests, request <= allocatable - already requested, and the node has a
pod slot left (the scheduler's ``NodeResourcesFit`` filter,
which uses the effective requests, overhead included). A pod that requests nothing needs
only the slot.

Packing is first-fit decreasing over identical pods kept as groups, so a workload of a
million replicas costs the same as one of three: an estimate of how many nodes the
scheduler would fill, not a replay of its scoring.

A DaemonSet runs one pod on every node (``pkg/controller/daemon``), so its pod is reserved
on every node a plan counts, whatever a quota admits of it: quota admission counts pods one
at a time against what is used, and its refusals are reported where they happen. Only a pod
that can never be created (``never_created``: LimitRanger or validation refuse the template
itself) is on no node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from calc.admission import Rejection
from calc.allocatable import PODS, Reservation, allocatable
from calc.effective import pod_requests
from calc.errors import Location
from calc.pod import Container, PodSpec, ResourceList
from calc.quantity import NANO, Format, Quantity
from calc.resources import CPU, MEMORY
from calc.scheduling import NodeFacts, Placement, refusal
from calc.workloads import scale, sum_resources

# The scheduler's scoring defaults for a container without a request (pkg/scheduler/util).
DEFAULT_MILLI_CPU_REQUEST = Quantity(100 * 10**6, Format.DECIMAL_SI)  # 100m
DEFAULT_MEMORY_REQUEST = Quantity(200 * 2**20 * NANO, Format.BINARY_SI)  # 200Mi


def subtract(free: ResourceList, used: ResourceList) -> dict[str, Quantity]:
    """free - used per resource of ``free``, clamped at zero."""
    return {n: Quantity(max(q.nanos - (used[n].nanos if n in used else 0), 0), q.format) for n, q in free.items()}


def pods_that_fit(free: ResourceList, pod: ResourceList) -> tuple[int, str]:
    """How many pods requesting ``pod`` fit in ``free`` (which includes ``pods`` slots), and why no more.

    min(free pods, min over requested resources r of floor(free[r] / pod[r])): the scheduler's
    ``NodeResourcesFit`` filter (``fitsRequest``) applied pod after pod. The limiting resource
    is the first, by name, to run out; ``pods`` when only slots count.
    """
    slots = free[PODS].nanos // NANO if PODS in free else 0
    best, limiting = slots, PODS
    for name in sorted(pod):
        need = pod[name].nanos
        if need <= 0 or name == PODS:
            continue
        have = free[name].nanos if name in free else 0
        n = have // need
        if n < best:
            best, limiting = n, name
    return best, limiting


@dataclass(frozen=True, slots=True)
class PodGroup:
    """``count`` identical pods of one workload (``key`` is the caller's index)."""

    key: int
    count: int
    requests: ResourceList


@dataclass(slots=True)
class NodeGroup:
    """``count`` nodes in the same state: what is free on each, and the pods placed on each."""

    count: int
    free: dict[str, Quantity]
    placed: dict[int, int]  # PodGroup.key -> pods on each node
    name: str | None = None  # a real Node's name; None for a node of a shape


@dataclass(frozen=True, slots=True)
class Packing:
    nodes: list[NodeGroup]
    unplaced: dict[int, int]  # PodGroup.key -> pods that fit nowhere
    opened: int  # nodes opened (0 when packing onto existing nodes only)


def dominant_share(requests: ResourceList, node: ResourceList) -> Fraction:
    """The largest share of ``node`` one pod takes (a pod slot included): the packing order."""
    share = Fraction(1, max(node[PODS].nanos // NANO, 1)) if PODS in node else Fraction(0)
    for name, q in requests.items():
        have = node[name].nanos if name in node else 0
        if q.nanos > 0:
            share = max(share, Fraction(q.nanos, have) if have else Fraction(10**18))
    return share


def pack(groups: Sequence[PodGroup], nodes: list[NodeGroup], new_node: ResourceList | None) -> Packing:
    """First-fit decreasing: each group (largest dominant share first) fills the first nodes with room.

    ``nodes`` are the nodes already there, in order; when ``new_node`` (free resources of an
    empty node) is given, nodes of that shape are opened as needed, else what does not fit
    stays unplaced. Identical pods fill a node before the next, so groups of nodes in the
    same state stay together and the cost grows with groups, not pods.
    """
    reference = new_node if new_node is not None else (nodes[0].free if nodes else {})
    order = sorted(groups, key=lambda g: -dominant_share(g.requests, reference))
    floors = _floors(order)
    unplaced: dict[int, int] = {}
    opened = 0
    start = 0  # nodes before it can take no pod of the groups still to come
    for position, g in enumerate(order):
        left = g.count
        # one pod's needs, pod slot included: a node short of any of them is passed over at once
        needs = [(PODS, NANO)] + [(n, q.nanos) for n, q in g.requests.items() if q.nanos > 0 and n != PODS]
        floor = floors[position]
        while start < len(nodes) and _below(nodes[start].free, floor):
            start += 1
        i = start
        while left and i < len(nodes):
            node = nodes[i]
            free = node.free
            if any(n not in free or free[n].nanos < need for n, need in needs):
                i += 1
                continue
            k, _ = pods_that_fit(free, g.requests)
            if k:
                left, added = _place(nodes, i, g, k, left)
                i += added
            i += 1
        if left and new_node is not None:
            k, _ = pods_that_fit(new_node, g.requests)
            if k:
                full, rest = divmod(left, k)
                for count, per_node in ((full, k), (1 if rest else 0, rest)):
                    if count:
                        nodes.append(NodeGroup(count, _after(new_node, g.requests, per_node), {g.key: per_node}))
                        opened += count
                left = 0
        if left:
            unplaced[g.key] = unplaced.get(g.key, 0) + left
    return Packing(nodes, unplaced, opened)


def _floors(order: Sequence[PodGroup]) -> list[dict[str, int]]:
    """For each position, what every group from there on needs at least, per resource.

    A node with less of any of these than the floor can take none of the remaining pods.
    """
    floors: list[dict[str, int]] = []
    floor: dict[str, int] | None = None
    for g in reversed(order):
        needs = {n: q.nanos for n, q in g.requests.items() if q.nanos > 0 and n != PODS} | {PODS: NANO}
        floor = needs if floor is None else {n: min(v, needs[n]) for n, v in floor.items() if n in needs}
        floors.append(floor)
    return floors[::-1]


def _below(free: ResourceList, floor: Mapping[str, int]) -> bool:
    return any(n not in free or free[n].nanos < need for n, need in floor.items())


def _after(free: ResourceList, requests: ResourceList, pods: int) -> dict[str, Quantity]:
    """``free`` after ``pods`` pods requesting ``requests`` (and a slot each)."""
    out = {}
    for name, q in free.items():
        use = pods * NANO if name == PODS else pods * requests[name].nanos if name in requests else 0
        out[name] = Quantity(q.nanos - use, q.format)
    return out


def _place(nodes: list[NodeGroup], i: int, g: PodGroup, k: int, left: int) -> tuple[int, int]:
    """Put up to ``k`` pods of ``g`` on each node of ``nodes[i]``; (pods left, groups inserted)."""
    node = nodes[i]
    if left >= k * node.count:
        node.free = _after(node.free, g.requests, k)
        node.placed[g.key] = node.placed.get(g.key, 0) + k
        return left - k * node.count, 0
    full, rest = divmod(left, k)
    parts: list[NodeGroup] = []
    for count, per_node in ((full, k), (1 if rest else 0, rest)):
        if count:
            placed = dict(node.placed)
            placed[g.key] = placed.get(g.key, 0) + per_node
            parts.append(NodeGroup(count, _after(node.free, g.requests, per_node), placed, node.name))
    untouched = node.count - full - (1 if rest else 0)
    if untouched:
        parts.append(NodeGroup(untouched, node.free, node.placed, node.name))
    nodes[i : i + 1] = parts
    return 0, len(parts) - 1


def scoring_requests(spec: PodSpec) -> ResourceList:
    """The requests the scheduler's scoring counts for a pod (``scoring_spec``'s ``PodRequests``)."""
    return pod_requests(scoring_spec(spec))


def scoring_spec(spec: PodSpec) -> PodSpec:
    """The pod as the scheduler's scoring sees it (``NonMissingContainerRequests``): every
    container, init and sidecar too, without a cpu or memory request counts 100m / 200Mi."""

    def fill(c: Container) -> Container:
        missing = {n: q for n, q in ((CPU, DEFAULT_MILLI_CPU_REQUEST), (MEMORY, DEFAULT_MEMORY_REQUEST))}
        missing = {n: q for n, q in missing.items() if n not in c.requests}
        return dataclasses.replace(c, requests={**c.requests, **missing}) if missing else c

    return dataclasses.replace(
        spec, containers=tuple(map(fill, spec.containers)), init_containers=tuple(map(fill, spec.init_containers))
    )


# --- a plan's nodes: the Nodes given, and node shapes to add ----------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A Node of the cluster: what it offers the scheduler."""

    name: str
    allocatable: dict[str, Quantity]
    location: Location
    facts: NodeFacts = field(default_factory=NodeFacts)  # what the scheduler's filters read: cordon, taints, labels


@dataclass(frozen=True, slots=True)
class NodeShape:
    """A kind of node to add (podcalc's ``NodeShape``): capacity, pods and reservation."""

    name: str
    capacity: dict[str, Quantity]
    max_pods: int
    reservation: Reservation
    location: Location


@dataclass(frozen=True, slots=True)
class Scheduled:
    """An admitted workload's pods, as the scheduler meets them."""

    index: int  # the caller's key, echoed in placements
    kind: str
    name: str | None
    pods: int  # pods admitted
    requests: ResourceList  # effective requests of one pod
    daemon: bool  # a DaemonSet: one pod on every node
    refused: bool  # no pod of it can be created (``never_created``); a quota's refusal is not this
    node_name: str | None  # spec.nodeName: already bound to that node
    placement: Placement = field(default_factory=Placement)  # tolerations and nodeSelector, for the scheduler's filters
    running: bool = False  # a pod of the running cluster (bound, or pending), not a workload of the plan


# The admission steps that refuse a pod for what its template is, so that no pod of the
# workload can be created; ResourceQuota refuses pods one at a time, for what is already used.
REFUSE_EVERY_POD = frozenset({"LimitRanger", "validation"})


def never_created(rejections: Iterable[Rejection]) -> bool:
    """Whether admission's refusals leave no pod of a workload that can be created.

    LimitRanger (``PodValidateLimitFunc``) and validation (``ValidatePod``) refuse the pod
    template itself, so every pod of the workload alike: none exists, on any node. A
    ResourceQuota refuses the pods past what it has room for, one at a time: the others are
    created, and a DaemonSet's pod still stands on every node the plan counts; but where it
    refuses the workload itself or what its controller creates (``refused``, all pods), none is.
    """
    return any(r.by in REFUSE_EVERY_POD or (r.refused is not None and r.pods is None) for r in rejections)


def for_new_nodes(scheduled: Sequence[Scheduled], unplaced: Mapping[int, int]) -> list[Scheduled]:
    """What nodes added to a cluster must take: each workload's pods that fit on no node it
    has (``unplaced``, by ``Scheduled.index``), and every DaemonSet not bound to a node,
    of which each new node runs one pod (``pkg/controller/daemon``: one pod per eligible node).
    Each keeps only its unplaced pods as ``pods``."""
    return [
        dataclasses.replace(s, pods=unplaced.get(s.index, 0))
        for s in scheduled
        if (s.daemon and s.node_name is None) or unplaced.get(s.index)
    ]


def _one_pod(s: Scheduled) -> dict[str, Quantity]:
    return {**s.requests, PODS: Quantity(NANO)}


def daemon_usage(workloads: Sequence[Scheduled]) -> dict[str, Quantity]:
    """What the DaemonSets take on every node: one pod of each, and its pod slot.

    Every DaemonSet whose pod can be created counts, whatever a quota admitted of its pods
    (``Scheduled.pods``): the DaemonSet controller puts one on each node, and a quota's
    refusal is reported by admission, not by leaving the pod off the nodes.
    """
    return sum_resources([_one_pod(s) for s in workloads if s.daemon and not s.refused])


def _placeable(workloads: Sequence[Scheduled]) -> list[PodGroup]:
    """Admitted pods the scheduler still has to place: not DaemonSets, not bound to a node."""
    return [PodGroup(s.index, s.pods, s.requests) for s in workloads if s.pods and not s.daemon and s.node_name is None]


@dataclass(frozen=True, slots=True)
class PerNode:
    """How many pods of one workload fit on a node as it is, and what stops more."""

    index: int
    pods: int
    limited_by: str


def _new(workloads: Sequence[Scheduled]) -> list[Scheduled]:
    """The workloads whose pods would be created: not DaemonSets, not running already."""
    return [s for s in workloads if not s.daemon and not s.running]


def _per_node(free: ResourceList, new: Sequence[Scheduled]) -> list[PerNode]:
    """How many pods of each of the ``new`` workloads (``_new``) fit in ``free``."""
    return [PerNode(s.index, *pods_that_fit(free, s.requests)) for s in new]


def _short(allocatable: ResourceList, used: ResourceList) -> list[str]:
    """The resources ``used`` takes beyond ``allocatable``, sorted."""
    return sorted(r for r, q in used.items() if r not in allocatable or q.nanos > allocatable[r].nanos)


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One Node of the plan: what runs there already, what is free, what each workload finds."""

    node: Node
    running: dict[str, Quantity]
    overcommitted: list[str]
    free: dict[str, Quantity]
    per_node: list[PerNode]


@dataclass(frozen=True, slots=True)
class NodesFit:
    """The Nodes given, and the new pods packed onto what they have free."""

    rows: list[NodeRow]
    packing: Packing
    notes: list[str]

    @property
    def fits(self) -> bool:
        return not self.packing.unplaced


def fit_nodes(nodes: Sequence[Node], workloads: Sequence[Scheduled]) -> NodesFit | None:
    """The Nodes given: free = allocatable - (pods bound there + a pod of each DaemonSet), then
    the admitted pods packed first-fit decreasing onto what is free (``pack``). None: no Nodes.

    A pod with ``spec.nodeName`` is bound there without the scheduler (``NodeResourcesFit``
    then only checks free room for the rest); a DaemonSet's pod is on every node
    (``pkg/controller/daemon``)."""
    if not nodes:
        return None
    known = {n.name for n in nodes}
    bound: dict[str, list[dict[str, Quantity]]] = {}
    notes: list[str] = []
    for s in workloads:
        if s.node_name is None or not s.pods:
            continue
        if s.node_name not in known:
            notes.append(f"{s.kind} {s.name or '(unnamed)'} is bound to node {s.node_name}, which is not in the stream")
            continue
        bound.setdefault(s.node_name, []).append(scale(_one_pod(s), s.pods))
    rows, groups = [], []
    daemon_sets, new = [s for s in workloads if s.daemon], _new(workloads)
    for n in nodes:
        daemons = daemon_usage([s for s in daemon_sets if _daemon_runs_on(n.facts, s)])
        used = sum_resources([*bound.get(n.name, []), daemons])
        free = subtract(n.allocatable, used)
        rows.append(NodeRow(n, used, _short(n.allocatable, used), free, _per_node(free, new)))
        groups.append(NodeGroup(1, free, {}, n.name))
    if not any(n.facts != NodeFacts() for n in nodes):
        return NodesFit(rows, pack(_placeable(workloads), groups, None), notes)
    return NodesFit(rows, _pack_filtered(workloads, groups, [n.facts for n in nodes]), notes)


def _daemon_runs_on(node: NodeFacts, s: Scheduled) -> bool:
    """A DaemonSet's pod runs on a node its taints and selector let it on; the DaemonSet
    controller adds a toleration of cordoned nodes (``util.AddOrUpdateDaemonPodTolerations``)."""
    return refusal(dataclasses.replace(node, unschedulable=False), s.placement) is None


def _pack_filtered(workloads: Sequence[Scheduled], nodes: list[NodeGroup], facts: list[NodeFacts]) -> Packing:
    """``pack`` onto the Nodes, each workload only onto the nodes the scheduler's filters
    leave it (``calc.scheduling.refusal``): the same first-fit decreasing order, one workload at a time."""
    by_index = {s.index: s for s in workloads}
    groups = _placeable(workloads)
    reference = nodes[0].free if nodes else {}
    unplaced: dict[int, int] = {}
    for g in sorted(groups, key=lambda g: -dominant_share(g.requests, reference)):
        eligible = [i for i, f in enumerate(facts) if refusal(f, by_index[g.key].placement) is None]
        packed = pack([g], [nodes[i] for i in eligible], None)
        for i, node in zip(eligible, packed.nodes, strict=True):  # a Node stays one group
            nodes[i] = node
        for key, left in packed.unplaced.items():
            unplaced[key] = unplaced.get(key, 0) + left
    return Packing(nodes, unplaced, 0)


@dataclass(frozen=True, slots=True)
class ShapeFit:
    """Nodes of one shape for the admitted pods: allocatable, the DaemonSets' share, the packing."""

    shape: NodeShape
    allocatable: dict[str, Quantity]
    daemons: dict[str, Quantity]  # per node
    daemons_fit: bool
    per_node: list[PerNode]
    packing: Packing


def fit_shape(shape: NodeShape, workloads: Sequence[Scheduled]) -> ShapeFit:
    """How many nodes of ``shape`` the admitted pods need: allocatable from its capacity and
    reservation (``allocatable``), less a pod of each DaemonSet (``pkg/controller/daemon``: one
    on every node), packed first-fit decreasing by the ``NodeResourcesFit`` rule (``pack``)."""
    alloc = allocatable(shape.capacity, shape.reservation, shape.max_pods)
    daemons = daemon_usage(workloads)
    free = subtract(alloc, daemons)
    packing = pack(_placeable(workloads), [], free)
    return ShapeFit(shape, alloc, daemons, not _short(alloc, daemons), _per_node(free, _new(workloads)), packing)
