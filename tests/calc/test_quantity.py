"""Quantities: Kubernetes' grammar, canonical form, exact arithmetic and unit expressions.

Expected values are those of k8s.io/apimachinery/pkg/api/resource (quantity_test.go and
the documented canonical forms).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from calc.errors import QuantityError
from calc.quantity import (
    MAX_VALUE,
    Format,
    Quantity,
    add,
    canonical,
    decimal_string,
    max_of,
    parse_quantity,
    round_up_milli,
    trim_space,
)
from calc.resources import parse_resource_quantity
from calc.units import Dimension, convert, parse_amount

CANONICAL = [
    # (input, canonical string, format, exact value in base units)
    ("0", "0", Format.DECIMAL_SI, "0"),
    ("0Ki", "0", Format.BINARY_SI, "0"),
    ("1.5Gi", "1536Mi", Format.BINARY_SI, "1610612736"),
    ("1024Mi", "1Gi", Format.BINARY_SI, "1073741824"),
    ("0.5", "500m", Format.DECIMAL_SI, "0.5"),
    ("0.25", "250m", Format.DECIMAL_SI, "0.25"),
    ("1000m", "1", Format.DECIMAL_SI, "1"),
    ("12e-1", "1200e-3", Format.DECIMAL_EXPONENT, "1.2"),
    ("129e6", "129e6", Format.DECIMAL_EXPONENT, "129000000"),
    ("1e3", "1e3", Format.DECIMAL_EXPONENT, "1000"),
    # an input that already looks canonical is kept as written (ParseQuantity caches it)
    ("1E3", "1E3", Format.DECIMAL_EXPONENT, "1000"),
    ("1e+3", "1e+3", Format.DECIMAL_EXPONENT, "1000"),
    ("1E-3", "1E-3", Format.DECIMAL_EXPONENT, "0.001"),
    ("1.500", "1.500", Format.DECIMAL_SI, "1.5"),
    ("2.100", "2.100", Format.DECIMAL_SI, "2.1"),
    ("0001Gi", "0001Gi", Format.BINARY_SI, "1073741824"),
    ("1.000001", "1.000001", Format.DECIMAL_SI, "1.000001"),
    # ... but not one with a leading zero digit, trailing 000, a scale off a multiple of 3,
    # or a binary value whose low bits are zero
    ("1.5000", "1500m", Format.DECIMAL_SI, "1.5"),
    ("1.0", "1", Format.DECIMAL_SI, "1"),
    ("0.100", "100m", Format.DECIMAL_SI, "0.1"),
    ("8Mi", "8Mi", Format.BINARY_SI, "8388608"),
    ("0008Mi", "8Mi", Format.BINARY_SI, "8388608"),
    ("128974848", "128974848", Format.DECIMAL_SI, "128974848"),
    ("129M", "129M", Format.DECIMAL_SI, "129000000"),
    ("123Mi", "123Mi", Format.BINARY_SI, "128974848"),
    ("100m", "100m", Format.DECIMAL_SI, "0.1"),
    ("1n", "1n", Format.DECIMAL_SI, "0.000000001"),
    ("1u", "1u", Format.DECIMAL_SI, "0.000001"),
    ("0.0005", "500u", Format.DECIMAL_SI, "0.0005"),
    ("1.5Ki", "1536", Format.BINARY_SI, "1536"),
    ("0.5Ki", "512", Format.BINARY_SI, "512"),
    ("1.", "1.", Format.DECIMAL_SI, "1"),
    ("1.G", "1.G", Format.DECIMAL_SI, "1000000000"),
    (".5", "500m", Format.DECIMAL_SI, "0.5"),
    (".001", "1m", Format.DECIMAL_SI, "0.001"),
    (".0001k", "100m", Format.DECIMAL_SI, "0.1"),
    ("-1.5Gi", "-1536Mi", Format.BINARY_SI, "-1610612736"),
    ("+2", "+2", Format.DECIMAL_SI, "2"),
    ("007", "007", Format.DECIMAL_SI, "7"),
    ("9E", "9E", Format.DECIMAL_SI, "9000000000000000000"),
    ("1Ei", "1Ei", Format.BINARY_SI, "1152921504606846976"),
    ("9223372036854775807", "9223372036854775807", Format.DECIMAL_SI, "9223372036854775807"),
    ("1e-100", "1e-9", Format.DECIMAL_EXPONENT, "0.000000001"),  # rounds up to 1n
    # below one, a binary quantity turns decimal; 1.024n rounds up to 2n
    ("0.000000000001Ki", "2n", Format.DECIMAL_SI, "0.000000002"),
]


@pytest.mark.parametrize(("text", "expected", "fmt", "value"), CANONICAL, ids=[c[0] for c in CANONICAL])
def test_parse_and_canonical_form(text: str, expected: str, fmt: Format, value: str) -> None:
    q = parse_quantity(text)
    assert canonical(q) == expected
    assert q.format is fmt
    assert q.decimal() == value


INVALID = [
    ("", "empty string"),
    (" 1", "surrounding whitespace is not allowed"),
    ("1 ", "surrounding whitespace is not allowed"),
    ("1.1.M", "more than one decimal point"),
    ("1+1.0M", "not of the form"),
    ("0.1mi", "unknown suffix 'mi'"),
    ("0.1am", "not of the form"),
    ("aoeu", "not of the form"),
    (".5i", "unknown suffix 'i'"),
    ("1i", "unknown suffix 'i'"),
    ("-3.01i", "unknown suffix 'i'"),
    ("-3.01e-", "unknown suffix 'e-'"),
    ("1e", "unknown suffix 'e'"),
    ("1Mi5", "unknown suffix 'Mi5'"),
    # Kubernetes reads these as zero; podcalc refuses a number without digits
    ("Mi", "no digits"),
    (".", "no digits"),
    ("-", "no digits"),
    # Kubernetes clamps these to 2^63-1 (binary) or keeps them beyond int64; podcalc refuses
    ("9223372036854775808", "larger than the largest quantity"),
    ("8Ei", "larger than the largest quantity"),
    ("10E", "larger than the largest quantity"),
    ("12E", "larger than the largest quantity"),
    ("1e20", "larger than the largest quantity"),
    ("1e4294967297", "exponent out of range"),
    ("1" * 300, "longer than 256 characters"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID, ids=[c[0][:20] or "empty" for c in INVALID])
def test_invalid_quantities_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    assert reason in info.value.reason
    assert str(info.value).startswith("invalid quantity ")


def test_huge_exponent_is_refused_without_computing_it() -> None:
    with pytest.raises(QuantityError, match="exponent out of range"):
        parse_quantity("1e999999999")
    with pytest.raises(QuantityError, match="larger than"):
        parse_quantity("1e999999")
    assert parse_quantity("1e-999999") == Quantity(1)  # a positive value below 1n is 1n


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1n", "1m"),
        ("0.0005", "1m"),
        ("1500u", "2m"),
        ("-1n", "-1m"),
        ("1.5Gi", "1536Mi"),
        ("12e-1", "1200e-3"),
        ("1.500", "1.500"),  # no rounding needed: RoundUp keeps the text
        ("1.000001", "1001m"),  # rounded: the text is gone
    ],
)
def test_api_server_rounds_up_to_milli(text: str, stored: str) -> None:
    assert str(round_up_milli(parse_quantity(text))) == stored


SUMS = [
    # a sum takes its first operand's format ...
    (["1Gi", "512Mi"], "1536Mi"),
    (["500m", "1Gi"], "1073741824500m"),
    (["1Gi", "500m"], "1073741824500m"),  # ... and falls back to decimal when binary can't say it
    (["1", "1Gi"], "1073741825"),
    (["1e3", "1k"], "2e3"),
    (["1k", "1e3"], "2k"),
    # ... unless that operand is zero: the sum then takes the next one's format
    (["0", "1Gi"], "1Gi"),
    (["100m", "100m", "800m"], "1"),
    (["12e-1", "1"], "2200e-3"),
]


@pytest.mark.parametrize(("operands", "expected"), SUMS, ids=["+".join(s[0]) for s in SUMS])
def test_sum_format_follows_kubernetes_add(operands: list[str], expected: str) -> None:
    total = parse_quantity(operands[0])
    for text in operands[1:]:
        total = add(total, parse_quantity(text))
    assert str(total) == expected


def test_arithmetic_drops_the_kept_text() -> None:
    q = parse_quantity("1.500")
    assert str(add(q, parse_quantity("0"))) == "1500m"
    assert str(max_of(q, parse_quantity("1"))) == "1.500"


def test_max_keeps_the_first_on_a_tie() -> None:
    a, b = parse_quantity("1Gi"), parse_quantity("1073741824")
    assert str(max_of(a, b)) == "1Gi"
    assert str(max_of(b, a)) == "1073741824"
    assert str(max_of(a, parse_quantity("2G"))) == "2G"


def test_quantity_is_immutable_and_compares_by_value() -> None:
    q = parse_quantity("1Gi")
    with pytest.raises(AttributeError):
        q.nanos = 0
    assert q == parse_quantity("1024Mi")
    assert hash(q) == hash(parse_quantity("1024Mi"))
    assert q < parse_quantity("1.1Gi")
    assert repr(q) == "Quantity('1Gi')"


def test_manifest_whitespace_is_trimmed_as_json_decoding_does() -> None:
    assert trim_space("\t 500m \n\u00a0") == "500m"
    assert str(parse_resource_quantity("cpu", " 500m ")) == "500m"


UNIT_EXPRESSIONS = [
    ("memory", "1.5 GiB", "1536Mi"),
    ("memory", "1.5GiB", "1536Mi"),
    ("memory", "512 MB", "512M"),
    ("memory", "2 gibibytes", "2Gi"),
    ("memory", "100 bytes", "100"),
    ("ephemeral-storage", "10 GB", "10G"),
    ("hugepages-2Mi", "4 MiB", "4Mi"),
    ("cpu", "250 millicores", "250m"),
    ("cpu", "2 cores", "2"),
    ("cpu", "0.5 vCPU", "500m"),
    ("cpu", "1 cpu", "1"),
    ("cpu", "1.5e3 mcpu", "1500m"),
]


@pytest.mark.parametrize(("resource", "text", "expected"), UNIT_EXPRESSIONS, ids=[u[1] for u in UNIT_EXPRESSIONS])
def test_unit_expressions_through_pint(resource: str, text: str, expected: str) -> None:
    assert str(parse_resource_quantity(resource, text)) == expected


@pytest.mark.parametrize(
    ("resource", "text", "reason"),
    [
        ("cpu", "2 GiB", "is an amount of bytes, but cpu takes cores"),
        ("memory", "2 cores", "is an amount of cores, but memory takes bytes"),
        ("nvidia.com/gpu", "1 GiB", "is an amount of bytes, but nvidia.com/gpu takes count"),
        ("memory", "3 furlongs", "nor is it a unit expression: unknown unit"),
        ("memory", "10**10 B", "not of the form <number><suffix>"),
        ("memory", "1i", "unknown suffix 'i'"),
    ],
)
def test_unit_expressions_are_checked_against_the_resource(resource: str, text: str, reason: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_resource_quantity(resource, text)
    assert reason in str(info.value)


def test_conversion_to_a_unit_is_exact() -> None:
    assert convert(parse_quantity("1536Mi"), "GiB", Dimension.BYTES) == Fraction(3, 2)
    assert convert(parse_quantity("1G"), "GiB", Dimension.BYTES) == Fraction(10**9, 2**30)
    assert convert(parse_quantity("250m"), "millicores", Dimension.CORES) == 250
    q, dim = parse_amount("1 KiB", None)
    assert (str(q), dim) == ("1Ki", Dimension.BYTES)


def test_decimal_string_says_when_it_is_exact() -> None:
    assert decimal_string(Fraction(10**9, 2**30)) == ("0.931322574615478515625", True)
    assert decimal_string(Fraction(2, 3), 5) == ("0.66667", False)
    assert decimal_string(Fraction(-3, 2)) == ("-1.5", True)
    assert decimal_string(Fraction(999999, 1000000), 3) == ("1", False)


# ---- properties ---------------------------------------------------------------------------

suffixes = st.sampled_from(["", "n", "u", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "e-2", "E6"])
quantity_texts = st.builds(
    lambda sign, whole, frac, suffix: f"{sign}{whole}{'.' + frac if frac else ''}{suffix}",
    st.sampled_from(["", "+", "-"]),
    st.integers(0, 10**6).map(str),
    st.one_of(st.just(""), st.integers(0, 999).map(str)),
    suffixes,
)


@given(quantity_texts)
def test_canonical_form_round_trips_exactly(text: str) -> None:
    q = parse_quantity(text)
    again = parse_quantity(canonical(q))
    assert again.nanos == q.nanos
    assert canonical(again) == canonical(q)


@given(st.lists(quantity_texts, min_size=1, max_size=6))
def test_sums_are_exact(texts: list[str]) -> None:
    parsed = [parse_quantity(t) for t in texts]
    total = parsed[0]
    for q in parsed[1:]:
        total = add(total, q)
    assert total.value == sum((q.value for q in parsed), Fraction(0))


@given(st.integers(-(10**18), 10**18), st.sampled_from(list(Format)))
def test_every_value_prints_as_a_valid_quantity(nanos: int, fmt: Format) -> None:
    q = Quantity(nanos, fmt)
    assert parse_quantity(canonical(q)).nanos == nanos


@given(st.integers(-(10**27), 10**27).filter(bool), st.integers(0, 27))
def test_a_decimal_value_prints_with_the_largest_suffix_that_leaves_a_whole_number(nanos: int, tens: int) -> None:
    """Kubernetes' canonical decimal form, worked out the long way with fractions: of the
    exponents -9 to 18 in steps of 3, the largest by which the value divides into a whole
    number; DecimalSI writes it as a suffix, DecimalExponent as e<exponent>."""
    from calc.quantity import _DECIMAL_BY_EXPONENT  # exponent -> suffix, n (-9) to E (18)

    scaled = nanos * 10**tens  # trailing zeros, often
    nanos = scaled if abs(scaled) < 10**27 else nanos
    value = Fraction(nanos, 10**9)
    mantissa, exponent = next(
        ((value / Fraction(10) ** e).numerator, e)
        for e in sorted(_DECIMAL_BY_EXPONENT, reverse=True)
        if (value / Fraction(10) ** e).denominator == 1
    )
    assert canonical(Quantity(nanos, Format.DECIMAL_SI)) == f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"
    in_exponent_form = f"{mantissa}e{exponent}" if exponent else str(mantissa)
    assert canonical(Quantity(nanos, Format.DECIMAL_EXPONENT)) == in_exponent_form


def test_largest_value_prints_in_its_format() -> None:
    assert str(Quantity(MAX_VALUE * 10**9, Format.BINARY_SI)) == "9223372036854775807"
    assert str(Quantity(2**62 * 10**9, Format.BINARY_SI)) == "4Ei"
    assert str(add(parse_quantity("9E"), parse_quantity("9E"))) == "18E"
    assert str(add(parse_quantity("5E"), parse_quantity("5E"))) == "10E"
    thousand_e = parse_quantity("5E")
    for _ in range(199):
        thousand_e = add(thousand_e, parse_quantity("5E"))
    assert str(thousand_e) == "1e21"  # beyond the E suffix, as upstream prints it
    assert str(Quantity(2**70 * 10**9, Format.BINARY_SI)) == "1180591620717411303424"  # beyond Ei
    assert str(add(parse_quantity("9223372036854775807"), parse_quantity("9223372036854775807"))) == (
        "18446744073709551614"
    )


@settings(max_examples=1000)
@given(
    st.integers(min_value=0, max_value=999_999_999_999),
    st.sampled_from(["", "0", "00"]),
    st.one_of(st.none(), st.from_regex(r"[0-9]{1,9}", fullmatch=True)),
    st.sampled_from(["", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"]),
)
@example(0, "", "000976", "Ki")  # 0.999424: below one, a binary quantity turns decimal
@example(0, "0", "000977", "Ki")  # 1.000448: just above one, it stays binary
@example(0, "", "0", "Gi")  # zero
def test_the_fast_path_agrees_with_the_general_grammar(
    number: int, zeros: str, fraction: str | None, suffix: str
) -> None:
    """parse_quantity's shortcut for "500m"-, "1.5Gi"- and "0.5Gi"-like strings gives what
    the full grammar gives, leading zeros included."""
    from calc.quantity import _parse_general

    text = f"{zeros}{number}{'' if fraction is None else '.' + fraction}{suffix}"
    try:
        general = _parse_general(text)
    except QuantityError:
        with pytest.raises(QuantityError):
            parse_quantity.__wrapped__(text)
        return
    fast = parse_quantity.__wrapped__(text)
    assert (fast.nanos, fast.format, fast.text) == (general.nanos, general.format, general.text)


@settings(max_examples=3000)
@given(st.text(alphabet="0123456789.+-eEinumkKMGTPE٣²", max_size=8))
def test_the_fast_path_agrees_on_any_short_string(text: str) -> None:
    """Odd strings too (signs, exponents, a lone suffix, non-ASCII digits): the same quantity
    or the same refusal as the full grammar."""
    from calc.quantity import _parse_general

    def outcome(parse: Any) -> tuple[Any, ...]:
        try:
            q = parse(text)
        except QuantityError as err:
            return ("refused", str(err))
        return (q.nanos, q.format, q.text)

    assert outcome(parse_quantity.__wrapped__) == outcome(_parse_general)
