"""Kubernetes resource quantities, exactly as ``k8s.io/apimachinery/pkg/api/resource`` has them.

Grammar (``quantity.go``)::

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | <sign><number>
    <sign>            ::= "+" | "-"
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

A quantity is held as an exact integer count of nano-units plus the *format* its suffix
chose (``BinarySI``, ``DecimalSI`` or ``DecimalExponent``). Parsing rounds away from zero
to nano precision, as Kubernetes does; no float is ever used, because a float cannot hold
``0.1`` or ``1Ei + 1`` and capacity figures must add up to the byte.

Canonical form keeps the format family of the input:

- ``1.5`` is serialized as ``1500m``, ``0.25`` as ``250m``, ``1000m`` as ``1``;
- ``1.5Gi`` as ``1536Mi``, ``1024Mi`` as ``1Gi``, ``0.5Ki`` as ``512`` (below 1024, or not a
  whole number, a binary quantity is printed as decimal SI);
- ``12e-1`` as ``1200e-3``, ``129e6`` stays ``129e6``.

Kubernetes clamps binary quantities beyond the 64-bit range to 2^63-1 and keeps larger
decimal ones, which its int64 figures then cannot hold; podcalc refuses both.
"""

from __future__ import annotations

import enum
import re
from fractions import Fraction
from functools import lru_cache

from calc.errors import QuantityError

NANO = 10**9
# The largest value Kubernetes stores (math.MaxInt64), in base units.
MAX_VALUE = 2**63 - 1
MAX_NANOS = MAX_VALUE * NANO
# Longer strings are refused before any arithmetic: no real manifest comes close.
MAX_LENGTH = 256
# Go's unicode.IsSpace, which strings.TrimSpace uses when a manifest's quantity is decoded.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


class Format(enum.Enum):
    """How a quantity is written; canonical form keeps it."""

    DECIMAL_SI = "DecimalSI"  # 500m, 2, 1.5G
    BINARY_SI = "BinarySI"  # 512Mi, 1Gi
    DECIMAL_EXPONENT = "DecimalExponent"  # 1e3, 12e-1


# The parser's fast path and canonical() compare formats by these names (hot path: a module
# global is read faster than a member off its Enum class).
_DECIMAL_SI, _BINARY_SI, _DECIMAL_EXPONENT = Format.DECIMAL_SI, Format.BINARY_SI, Format.DECIMAL_EXPONENT


_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {e: s for s, e in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {e // 10: s for s, e in _BINARY_SUFFIXES.items()}

_QUANTITY = re.compile(
    r"""
    (?P<sign>[+-]?)                          # one optional sign
    (?P<int>[0-9]*)                          # integer digits, may be empty (".5")
    (?:\.(?P<frac>[0-9]*))?                  # fraction; "1." is accepted, as in Kubernetes
    (?P<suffix>[eEinumkKMGTP]*[+-]?[0-9]*)   # SI suffix, binary suffix or decimal exponent
    """,
    re.VERBOSE,
)
_EXPONENT = re.compile(r"[eE](?P<exp>[+-]?[0-9]+)")


class Quantity:
    """An exact Kubernetes quantity: ``nanos`` (value x 10^9), its ``format``, and ``text``.

    ``text`` is the string Kubernetes prints for it: the input as written where Kubernetes
    keeps it (``ParseQuantity`` caches an input that already looks canonical, such as
    ``1.500`` or ``1E3``, and ``String()`` returns it), else the canonical form, filled in
    by ``canonical`` on first use (None until then). Arithmetic results start without it.
    """

    __slots__ = ("format", "nanos", "text")

    nanos: int
    format: Format
    text: str | None

    def __init__(self, nanos: int, format: Format = Format.DECIMAL_SI, text: str | None = None) -> None:  # noqa: A002
        # Quantity is immutable: only here and in canonical() is it written, past __setattr__
        object.__setattr__(self, "nanos", nanos)
        object.__setattr__(self, "format", format)
        object.__setattr__(self, "text", text)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Quantity is immutable")

    @property
    def value(self) -> Fraction:
        """The exact value in base units (bytes, cores, count)."""
        return Fraction(self.nanos, NANO)

    def is_zero(self) -> bool:
        return self.nanos == 0

    def __eq__(self, other: object) -> bool:
        """Equal values are equal quantities, whatever their format (``1Gi == 1024Mi``)."""
        return isinstance(other, Quantity) and self.nanos == other.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def __lt__(self, other: Quantity) -> bool:
        return self.nanos < other.nanos

    def __le__(self, other: Quantity) -> bool:
        return self.nanos <= other.nanos

    def __gt__(self, other: Quantity) -> bool:
        return self.nanos > other.nanos

    def __ge__(self, other: Quantity) -> bool:
        return self.nanos >= other.nanos

    def __str__(self) -> str:
        return canonical(self)

    def __repr__(self) -> str:
        return f"Quantity({canonical(self)!r})"

    def decimal(self) -> str:
        """The exact value in base units as a plain decimal string (``1.5``, ``1610612736``)."""
        return decimal_string(self.value)[0]


ZERO = Quantity(0)


def add(a: Quantity, b: Quantity) -> Quantity:
    """a + b, formatted as Kubernetes' ``Quantity.Add``: a's format, or b's when a is zero."""
    return Quantity(a.nanos + b.nanos, b.format if a.nanos == 0 else a.format)


def max_of(a: Quantity, b: Quantity) -> Quantity:
    """The larger of a and b; a tie keeps a, as ``maxResourceList`` does (``Cmp > 0``)."""
    return b if b.nanos > a.nanos else a


def round_up_milli(q: Quantity) -> Quantity:
    """``Quantity.RoundUp(-3)``: away from zero to milli precision (``1n`` becomes ``1m``).

    The API server applies this to every request, limit and overhead when it defaults a
    pod (``SetDefaults_ResourceList``), so every figure of a pod is a whole number of milli.
    A value that needs no rounding keeps its text, as RoundUp keeps the cached string.
    """
    nanos = q.nanos
    if nanos % 1_000_000 == 0:
        return q
    milli = -(-abs(nanos) // 1_000_000)
    return Quantity((milli if nanos > 0 else -milli) * 1_000_000, q.format)


def round_away(x: Fraction, step: int) -> int:
    """x / step rounded away from zero to a whole number."""
    n, d = x.numerator, x.denominator * step
    whole = -(-abs(n) // d)
    return whole if n >= 0 else -whole


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Quantity:
    """Parse ``text`` with Kubernetes' grammar (``resource.ParseQuantity``).

    No surrounding whitespace is allowed, as in ``ParseQuantity``; manifests trim it first
    (see ``trim_space``). Raises ``QuantityError`` naming the input and what is wrong.
    """
    if type(text) is not str or not text:
        return _parse_general(text)  # which says what is wrong
    # The fast path, for the usual "500m", "128Mi", "2", "1.5Gi", "0.5Gi": at most 12 whole
    # digits and no sign; a whole number without a leading zero, or a fraction before a
    # binary suffix; and a suffix other than an exponent. Read with str methods, which are
    # faster than a regex; the general grammar gives the same results (property tests
    # check both).
    last = text[-1]
    if last == "i":
        digits, suffix = text[:-2], text[-2:]
    elif last in _ONE_LETTER_SUFFIXES:
        digits, suffix = text[:-1], last
    else:
        digits, suffix = text, ""
    entry = _COMMON_SUFFIXES.get(suffix)
    if entry is not None and digits.isascii():
        fmt, multiplier, most_digits, largest = entry
        if digits.isdigit():
            if digits[0] != "0" and len(digits) <= 12:
                value = int(digits)
                nanos = value * multiplier
                if nanos <= MAX_NANOS:
                    if fmt is _DECIMAL_SI:  # Kubernetes keeps it unless a larger suffix fits
                        keep = not digits.endswith("000")
                    else:  # the int64 fast path's precision check, then the same for binary
                        keep = len(digits) <= most_digits and value & 7 != 0 and value <= largest
                    return Quantity(nanos, fmt, text if keep else None)
        elif fmt is _BINARY_SI:  # a fraction of a binary unit ("0.5Gi"): rounded up to a nano, never kept
            whole, _, frac = digits.partition(".")
            if whole.isdigit() and len(whole) <= 12 and frac.isdigit() and len(frac) <= 9:
                nanos = -(-int(whole + frac) * multiplier // 10 ** len(frac))
                if NANO <= nanos <= MAX_NANOS:  # below one, the general grammar makes it decimal
                    return Quantity(nanos, fmt)
    return _parse_general(text)


def _parse_general(text: str) -> Quantity:
    """Every form of the grammar (the fast path above handles the common ones)."""
    if not isinstance(text, str):
        raise QuantityError(repr(text), "a quantity is a string such as '500m' or '1Gi'")
    if text == "":
        raise QuantityError(text, "empty string")
    if len(text) > MAX_LENGTH:
        raise QuantityError(text[:32] + "...", f"longer than {MAX_LENGTH} characters")
    m = _QUANTITY.fullmatch(text)
    if m is None:
        raise QuantityError(text, _grammar_hint(text))
    sign, int_digits, frac, suffix = m.groups()
    frac = frac or ""
    if not int_digits and not frac:
        # Kubernetes reads "Mi", "." or "-" as zero; a calculator trusted with capacity
        # decisions refuses a number with no digits at all.
        raise QuantityError(text, "no digits before the suffix")
    fmt, base, exponent = _SUFFIXES.get(suffix) or _interpret_suffix(text, suffix)
    mantissa = int(int_digits + frac)
    if mantissa == 0:
        return Quantity(0, fmt)
    if base == 10:
        nanos = _decimal_nanos(text, mantissa, exponent - len(frac))
    elif not frac:
        nanos = mantissa * _BINARY_NANOS[exponent]
    else:  # round up (away from zero) to a whole nano
        nanos = -(-mantissa * _BINARY_NANOS[exponent] // 10 ** len(frac))
    if nanos > MAX_NANOS:
        raise QuantityError(text, f"larger than the largest quantity Kubernetes stores ({MAX_VALUE})")
    if fmt is Format.BINARY_SI and nanos < NANO:
        fmt = Format.DECIMAL_SI  # below one, a binary quantity turns decimal ("0.000000000001Ki" is 2n)
    kept = text if _keeps_text(base, int_digits.lstrip("0") or "0", frac, exponent) else None
    return Quantity(-nanos if sign == "-" else nanos, fmt, kept)


def _keeps_text(base: int, num: str, denom: str, exponent: int) -> bool:
    """Whether ``ParseQuantity`` takes its int64 fast path and caches the input string.

    Decimal: at most 18 digits, scale >= -9, scale a multiple of 3, the digits neither
    ending in 000 nor starting with 0. Binary: no fraction, the value fits int64 with room
    to spare (``precision``), and its low three bits are not all zero.
    """
    if base == 2:
        if denom or 15 - len(num) - exponent * 3 // 10 - 1 < 0:
            return False
        value = int(num)
        return value << exponent <= MAX_VALUE and value & 7 != 0
    scale = exponent - len(denom)
    shifted = num + denom
    if len(shifted) > 18 or scale < -9:
        return False
    return scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"


_SUFFIXES = {s: (Format.DECIMAL_SI, 10, e) for s, e in _DECIMAL_SUFFIXES.items()} | {
    s: (Format.BINARY_SI, 2, e) for s, e in _BINARY_SUFFIXES.items()
}
_BINARY_NANOS = {e: 2**e * NANO for e in _BINARY_SUFFIXES.values()}


def _interpret_suffix(text: str, suffix: str) -> tuple[Format, int, int]:
    """The format, base and exponent a suffix stands for (``suffixHandler.interpret``)."""
    if suffix in _DECIMAL_SUFFIXES:
        return Format.DECIMAL_SI, 10, _DECIMAL_SUFFIXES[suffix]
    if suffix in _BINARY_SUFFIXES:
        return Format.BINARY_SI, 2, _BINARY_SUFFIXES[suffix]
    exp = _EXPONENT.fullmatch(suffix)
    if exp is None:
        raise QuantityError(text, f"unknown suffix {suffix!r} " + _SUFFIX_HELP)
    digits = exp["exp"].lstrip("+-").lstrip("0")
    if len(digits) > 6:  # Kubernetes' exponent is an int32; no valid quantity needs more
        raise QuantityError(text, "exponent out of range")
    return Format.DECIMAL_EXPONENT, 10, int(exp["exp"])


def _decimal_nanos(text: str, mantissa: int, exp10: int) -> int:
    """mantissa x 10^exp10 in nanos, rounded away from zero, without a huge power of ten."""
    digits = len(str(mantissa))
    if digits + exp10 > 19:  # at least 10^19 > 2^63 - 1
        raise QuantityError(text, f"larger than the largest quantity Kubernetes stores ({MAX_VALUE})")
    shift = exp10 + 9
    if shift >= 0:
        return mantissa * int(10**shift)
    if -shift > digits:  # 0 < value < 1n: Kubernetes rounds it up to 1n
        return 1
    return -(-mantissa // int(10**-shift))


_SUFFIX_HELP = "(expected one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or an exponent such as e3)"

# suffix -> (format, nanos per unit, and for binary suffixes the most digits and the
# largest value whose text Kubernetes keeps: the int64 fast path's precision check, folded)
_COMMON_SUFFIXES: dict[str, tuple[Format, int, int, int]] = {
    **{s: (Format.DECIMAL_SI, 10 ** (e + 9), 0, 0) for s, e in _DECIMAL_SUFFIXES.items() if -3 <= e <= 12},
    **{
        s: (Format.BINARY_SI, 2**p * NANO, 14 - p * 3 // 10, MAX_VALUE >> p)
        for s, p in _BINARY_SUFFIXES.items()
        if p <= 40
    },
}
_ONE_LETTER_SUFFIXES = frozenset(s for s in _COMMON_SUFFIXES if len(s) == 1)


def _grammar_hint(text: str) -> str:
    if text != text.strip(GO_SPACE):
        return "surrounding whitespace is not allowed"
    if text.count(".") > 1:
        return "more than one decimal point"
    return "not of the form <number><suffix>, e.g. '500m', '1.5Gi', '2', '1e3'"


def trim_space(text: str) -> str:
    """Trim what Go's ``strings.TrimSpace`` trims: manifests' quantities are decoded so."""
    return text.strip(GO_SPACE)


def canonical(q: Quantity) -> str:
    """Kubernetes' canonical string of ``q`` (``Quantity.String`` / ``CanonicalizeBytes``)."""
    text = q.text
    if text is None:
        text = _canonical(q)
        object.__setattr__(q, "text", text)
    return text


_KI_NANOS = 1024 * NANO


def _canonical(q: Quantity) -> str:
    nanos = q.nanos
    if nanos == 0:
        return "0"
    fmt = q.format
    if fmt is _BINARY_SI:
        if -_KI_NANOS < nanos < _KI_NANOS or nanos % NANO:
            fmt = _DECIMAL_SI  # "This avoids rounding and hopefully confusion, too."
        else:
            amount, power = nanos // NANO, 0
            while amount % 1024 == 0:
                amount //= 1024
                power += 1
            if power in _BINARY_BY_POWER or power == 0:
                return f"{amount}{_BINARY_BY_POWER.get(power, '')}"
            fmt = _DECIMAL_SI  # beyond Ei (only sums get here): decimal, as upstream prints it
    # Move every factor of ten into the exponent, then lower it to a multiple of 3. Both
    # are done on the digits: their trailing zeros are the factors of ten (no division per
    # zero), and lowering the exponent appends zeros.
    digits = str(nanos)
    significant = digits.rstrip("0")
    tens = len(digits) - len(significant) - 9
    shift = tens % 3
    mantissa, exponent = significant + "00"[:shift], tens - shift
    if fmt is _DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else mantissa
    if exponent > 18:  # beyond "E" (only sums get here): an exponent, as upstream prints it
        return f"{mantissa}e{exponent}"
    return mantissa + _DECIMAL_BY_EXPONENT[exponent]


def decimal_string(value: Fraction, max_places: int = 30) -> tuple[str, bool]:
    """``value`` as a plain decimal string, and whether that string is exact.

    Values whose decimal expansion does not end within ``max_places`` are rounded half
    away from zero at that place and reported as inexact.
    """
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, rest = divmod(value.numerator, value.denominator)
    places = ""
    while rest and len(places) < max_places:
        digit, rest = divmod(rest * 10, value.denominator)
        places += str(digit)
    exact = rest == 0
    if not exact and rest * 2 >= value.denominator:
        scaled = int(f"{whole}{places}") + 1
        text = str(scaled).rjust(len(places) + 1, "0")
        whole, places = int(text[: -len(places)]), text[-len(places) :]
    places = places.rstrip("0")
    return f"{sign}{whole}{'.' + places if places else ''}", exact
