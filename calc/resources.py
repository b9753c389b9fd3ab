"""Resource names as the API server classifies and validates them.

Sources: ``pkg/apis/core/helper/helpers.go`` (IsNativeResource, IsExtendedResourceName,
IsOvercommitAllowed, IsHugePageResourceName) and ``pkg/apis/core/validation``
(validateContainerResourceName, IsQualifiedName).
"""

from __future__ import annotations

import re
from functools import lru_cache

from calc.errors import DimensionError, QuantityError
from calc.quantity import Quantity, parse_quantity, trim_space
from calc.units import Dimension, is_unit_expression, parse_amount

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
HUGEPAGES_PREFIX = "hugepages-"
# Resources a container may use without declaring them: without a limit, it is unbounded.
UNBOUNDED_WITHOUT_LIMIT = (CPU, MEMORY, EPHEMERAL_STORAGE)
STANDARD_CONTAINER_RESOURCES = frozenset({CPU, MEMORY, EPHEMERAL_STORAGE})

_STORAGE_CLASS = ".storageclass.storage.k8s.io/"
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def is_hugepages(name: str) -> bool:
    """``IsHugePageResourceName`` (``pkg/apis/core/helper``): the ``hugepages-`` prefix."""
    return name.startswith(HUGEPAGES_PREFIX)


def is_native(name: str) -> bool:
    """No domain, or a ``kubernetes.io/`` one (IsNativeResource)."""
    return "/" not in name or "kubernetes.io/" in name


@lru_cache(maxsize=1024)
def is_extended(name: str) -> bool:
    """A resource such as ``nvidia.com/gpu`` (IsExtendedResourceName)."""
    if is_native(name) or name.startswith("requests."):
        return False
    return not qualified_name_errors("requests." + name)


@lru_cache(maxsize=1024)
def overcommit_allowed(name: str) -> bool:
    """Whether a request may be below its limit (IsOvercommitAllowed)."""
    return is_native(name) and not is_hugepages(name)


@lru_cache(maxsize=1024)
def qualified_name_errors(name: str) -> tuple[str, ...]:
    """What makes ``name`` not a qualified name (apimachinery IsQualifiedName)."""
    parts = name.split("/")
    if len(parts) > 2:
        return ("a qualified name has at most one '/'",)
    errors = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("the prefix before '/' must not be empty")
        elif len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix):
            errors.append("the prefix before '/' must be a lowercase DNS subdomain, e.g. 'example.com'")
    short = parts[-1]
    if not short:
        errors.append("the name part must not be empty")
    elif len(short) > 63:
        errors.append("the name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME.fullmatch(short):
        errors.append("the name part must consist of alphanumerics, '-', '_' or '.', starting and ending alphanumeric")
    return tuple(errors)


@lru_cache(maxsize=1024)
def container_resource_name_errors(name: str) -> tuple[str, ...]:
    """Why ``name`` may not be used in a container's resources (validateContainerResourceName)."""
    errors = list(qualified_name_errors(name))
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not is_hugepages(name):
            errors.append(
                "must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-<size>)"
            )
    elif not is_native(name) and not is_extended(name):
        errors.append("doesn't follow extended resource name standard")
    return tuple(errors)


@lru_cache(maxsize=1024)
def dimension_of(name: str) -> Dimension:
    """What a resource's quantities count: bytes, cores, or plain units.

    A quota's names count what they name: ``requests.memory``, ``limits.cpu``,
    ``requests.hugepages-2Mi`` and a storage class's
    ``<class>.storageclass.storage.k8s.io/requests.storage`` (``pkg/quota/v1/evaluator/core``).
    """
    if _STORAGE_CLASS in name:
        name = name.split("/", 1)[1]
    name = name.removeprefix("requests.").removeprefix("limits.")
    if name in (MEMORY, EPHEMERAL_STORAGE, "storage") or is_hugepages(name):
        return Dimension.BYTES
    if name == CPU:
        return Dimension.CORES
    return Dimension.COUNT


def parse_any(text: str, dimension: Dimension | None, resource: str | None = None) -> tuple[Quantity, Dimension | None]:
    """Kubernetes' grammar first; failing that, a unit expression checked against ``dimension``.

    Returns the quantity and its dimension (``dimension`` itself, or the unit's when None).
    """
    try:
        return parse_quantity(text), dimension
    except QuantityError as err:
        if not is_unit_expression(text):
            raise
        try:
            return parse_amount(text, dimension, resource)
        except DimensionError:
            raise
        except QuantityError as unit_err:
            raise QuantityError(text, f"{err.reason}; nor is it a unit expression: {unit_err.reason}") from err


@lru_cache(maxsize=8192)
def in_kubernetes_grammar(text: str) -> bool:
    """Whether the API server reads ``text`` as a quantity: ``ParseQuantity`` of the text with
    surrounding whitespace trimmed (``Quantity.UnmarshalJSON``); a unit expression such as
    ``1.5 GiB`` is podcalc's extension, which it rejects."""
    try:
        parse_quantity(trim_space(text))
    except QuantityError:
        return False
    return True


@lru_cache(maxsize=8192)
def parse_resource_quantity(name: str, text: str) -> Quantity:
    """A manifest's quantity for resource ``name``: Kubernetes grammar or a unit expression.

    Surrounding whitespace is trimmed first, as JSON decoding of a Quantity does.
    """
    return parse_any(trim_space(text), dimension_of(name), name)[0]
