"""Units of bits are refused, with the Kubernetes spelling to use instead (issue 19, item 1).

Kubernetes quantities count bytes: the API server refuses ``memory: 512Mb``
(``resource.ParseQuantity``: unknown suffix). pint reads ``Mb`` as megabits, and a silent
division by eight would report 64M, a confident wrong figure for what was almost always a
mistyped ``512Mi`` or ``512M``.
"""

from __future__ import annotations

import pytest

from calc.errors import BitsError, QuantityError
from calc.resources import dimension_of, in_kubernetes_grammar, parse_resource_quantity
from calc.units import Dimension, parse_amount, unit_factor

REFUSED = [
    ("512Mb", "'Mb' is a unit of bits; Kubernetes counts bytes: write 512Mi or 512M"),
    ("60Mib", "'Mib' is a unit of bits; Kubernetes counts bytes: write 60Mi"),
    ("128b", "'b' is a unit of bits; Kubernetes counts bytes: write 128 (bytes)"),
    ("1 Gb", "'Gb' is a unit of bits; Kubernetes counts bytes: write 1Gi or 1G"),
    ("2 kb", "'kb' is a unit of bits; Kubernetes counts bytes: write 2Ki or 2k"),
    ("2 Kb", "'Kb' is a unit of bits; Kubernetes counts bytes: write 2Ki or 2k"),
    ("4Kib", "'Kib' is a unit of bits; Kubernetes counts bytes: write 4Ki"),
    ("3 bits", "'bits' is a unit of bits; Kubernetes counts bytes: write 3 (bytes)"),
    ("1.5 megabits", "'megabits' is a unit of bits; Kubernetes counts bytes: write 1.5Mi or 1.5M"),
    ("2 Tb", "'Tb' is a unit of bits; Kubernetes counts bytes: write 2Ti or 2T"),
    ("1.5e3 Mb", "'Mb' is a unit of bits; Kubernetes counts bytes: write 1.5e3Mi or 1.5e3M"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED, ids=[t for t, _ in REFUSED])
def test_a_unit_of_bits_is_refused_with_the_kubernetes_spelling(text: str, reason: str) -> None:
    with pytest.raises(BitsError) as refused:
        parse_amount(text, None)
    assert refused.value.reason == reason
    assert refused.value.text == text


@pytest.mark.parametrize("text", ["512Mb", "60Mib", "128b"], ids=["Mb", "Mib", "b"])
def test_a_memory_quantity_in_bits_is_refused_not_divided_by_eight(text: str) -> None:
    with pytest.raises(QuantityError) as refused:
        parse_resource_quantity("memory", text)
    assert "is a unit of bits; Kubernetes counts bytes: write" in str(refused.value)


@pytest.mark.parametrize(
    ("unit", "reason"),
    [
        ("Mb", "a unit of bits (megabit); Kubernetes counts bytes: use MiB or MB"),
        ("Mib", "a unit of bits (mebibit); Kubernetes counts bytes: use MiB"),
        ("b", "a unit of bits (bit); Kubernetes counts bytes: use B"),
        ("kb", "a unit of bits (kilobit); Kubernetes counts bytes: use KiB or kB"),
    ],
    ids=["Mb", "Mib", "b", "kb"],
)
def test_a_unit_of_bits_is_refused_for_conversions_too(unit: str, reason: str) -> None:
    with pytest.raises(BitsError) as refused:
        unit_factor(unit)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("512 MB", "512M"), ("512 MiB", "512Mi"), ("1 B", "1"), ("1.5 GiB", "1536Mi")],
    ids=["MB is bytes", "MiB is bytes", "B is bytes", "GiB keeps binary"],
)
def test_units_of_bytes_still_read(text: str, canonical: str) -> None:
    q, _ = parse_amount(text, None)
    assert str(q) == canonical


@pytest.mark.parametrize(
    ("text", "grammar"),
    [("1536Mi", True), (" 1.5Gi ", True), ("1e3", True), ("1.5 GiB", False), ("2 cores", False), ("512MB", False)],
)
def test_in_kubernetes_grammar_is_what_parse_quantity_accepts(text: str, grammar: bool) -> None:
    """``Quantity.UnmarshalJSON``: ``ParseQuantity(strings.TrimSpace(value))``."""
    assert in_kubernetes_grammar(text) is grammar


@pytest.mark.parametrize(
    ("name", "dimension"),
    [
        ("requests.memory", Dimension.BYTES),
        ("limits.ephemeral-storage", Dimension.BYTES),
        ("requests.hugepages-2Mi", Dimension.BYTES),
        ("gold.storageclass.storage.k8s.io/requests.storage", Dimension.BYTES),
        ("limits.cpu", Dimension.CORES),
        ("requests.nvidia.com/gpu", Dimension.COUNT),
        ("example.com/memory", Dimension.COUNT),
        ("count/deployments.apps", Dimension.COUNT),
    ],
)
def test_a_quota_resource_counts_what_it_names(name: str, dimension: Dimension) -> None:
    """``pkg/quota/v1/evaluator/core``: ``requests.memory`` is memory, a storage class's
    ``requests.storage`` is storage; an extended resource stays a count whatever its name."""
    assert dimension_of(name) is dimension


def test_a_quota_of_memory_reads_a_unit_expression_in_bytes() -> None:
    assert parse_resource_quantity("requests.memory", "1.5 GiB") == parse_resource_quantity("memory", "1536Mi")
