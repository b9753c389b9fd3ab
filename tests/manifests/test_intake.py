"""The lean YAML loader against PyYAML's own construction (``ExactLoader``), which it speeds up.

Every document must load to the same values, aliases must stay shared (the size limits
count a shared subtree once), and what PyYAML refuses must be refused with its message. One
known difference: in a document with several construction errors, this loader, which builds
depth first, may report a different one of them first than PyYAML would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podcalc.errors import InputError, InvalidError, MalformedError, TooLargeError
from podcalc.reading.decoded import DuplicateKeyError, RawNumber
from podcalc.reading.documents import read_json_object, read_stream
from podcalc.reading.limits import Limits, _measure, check_size
from podcalc.reading.yaml_stream import ExactLoader, LeanLoader, load_yaml_stream

ROOT = Path(__file__).resolve().parents[2]


def both(text: str) -> tuple[Any, Any]:
    """What each loader makes of ``text``: its documents, or its error as (type, message)."""
    return _outcome(text, LeanLoader), _outcome(text, ExactLoader)


def _outcome(text: str, loader: type[yaml.SafeLoader]) -> Any:
    try:
        return list(yaml.load_all(text, Loader=loader))
    except Exception as err:  # PyYAML's constructors raise more than YAMLError
        return (type(err), str(err))


def same_structure(a: Any, b: Any) -> None:
    """Equal, and of the same types all the way down (``1 == True`` would hide a wrong tag)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            same_structure(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_structure(x, y)
    else:
        assert a == b


def _yaml_files() -> list[Path]:
    return sorted([*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/data/*.yaml"), *ROOT.glob("deploy/**/*.yaml")])


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_manifest_of_the_project_loads_the_same(path: Path) -> None:
    lean, exact = both(path.read_text())
    same_structure(lean, exact)


SCALARS = [
    "plain",
    "'quoted 1'",
    '"0x1F"',
    "1",
    "-7",
    "+3",
    "0x1F",
    "0b101",
    "010",
    "08",
    "1_000",
    "12345678901234567890123",
    "1.5",
    "1e3",
    "-.5",
    ".inf",
    "-.Inf",
    ".nan",
    "1:30",
    "yes",
    "No",
    "on",
    "true",
    "FALSE",
    "~",
    "null",
    "",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "!!str 5",
    "!!int '7'",
    "!!float '2'",
    "!!binary aGVsbG8=",
    "=",
    "<<",
    "100m",
    "1Gi",
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_kind_of_scalar_resolves_the_same(scalar: str) -> None:
    text = f"value: {scalar}\nlist: [{scalar or '~'}]\n{scalar or 'k'}: key\n"
    lean, exact = both(text)
    same_structure(lean, exact)


SPECIAL = {
    "merge keys": "base: &b {cpu: 1, memory: 2Gi}\nmerged:\n  <<: *b\n  cpu: 2\n",
    "merge list": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n",
    "value key": "a:\n  =: 1\n  b: 2\n",
    "set": "!!set {a, b}\n",
    "omap": "!!omap [a: 1, b: 2]\n",
    "pairs": "!!pairs [a: 1, a: 2]\n",
    "nested aliases": "x: &x [1, 2]\ny: {a: *x, b: [*x, *x]}\n",
    "scalar alias": "a: &s 100m\nb: *s\nc: &n 5\nd: *n\n",
    "duplicate keys": "a: 1\na: 2\n",
    "numeric keys": "1: a\n1.5: b\ntrue: c\n~: d\n",
    "empty documents": "---\n---\na: 1\n...\n---\n",
    "explicit map and seq tags": "!!map {a: !!seq [1, 2]}\n",
    "str tag on a sequence": "a: !!str [1]\n",
    "map tag on a sequence": "a: !!map [1]\n",
    "seq tag on a mapping": "a: !!seq {b: 1}\n",
    "bool tag on a mapping": "a: !!bool {b: 1}\n",
    "flow and block": "spec:\n  containers: [{name: a, resources: {limits: {cpu: '1'}}}]\n",
}


@pytest.mark.parametrize("text", SPECIAL.values(), ids=SPECIAL.keys())
def test_special_forms_load_the_same(text: str) -> None:
    lean, exact = both(text)
    same_structure(lean, exact)


def test_aliases_stay_shared() -> None:
    (doc,) = yaml.load_all("x: &x {a: [1]}\ny: *x\nz: [*x]\n", Loader=LeanLoader)
    assert doc["y"] is doc["x"]
    assert doc["z"][0] is doc["x"]


def test_a_recursive_alias_is_the_same_object() -> None:
    (doc,) = yaml.load_all("&a [1, *a]\n", Loader=LeanLoader)
    assert doc[1] is doc
    (mapping,) = yaml.load_all("&m {self: *m}\n", Loader=LeanLoader)
    assert mapping["self"] is mapping


@pytest.mark.parametrize(
    "text",
    [
        "? [a, b]\n: 1\n",
        "a: !custom 1\n",
        "? {a: 1}\n: 2\n",
        "a: !!int x\n",
        "a: !!timestamp x\n",
        "<<: 1\n",
        "a: !!bool maybe\n",
    ],
    ids=["sequence key", "unknown tag", "mapping key", "bad int", "bad timestamp", "merge of a scalar", "bad bool"],
)
def test_what_pyyaml_refuses_is_refused_the_same(text: str) -> None:
    lean, exact = both(text)
    assert isinstance(exact, tuple), "PyYAML accepts this: not a refusal"
    assert lean == exact


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["100m", "1Gi", "yes", "0x10", "010", "1e3", "~", "", "<<", "="]),
)
trees = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trees, min_size=1, max_size=3), st.sampled_from([None, True, False]), st.booleans())
def test_generated_streams_load_the_same(documents: list[Any], flow: bool | None, share: bool) -> None:
    if share:  # the same object twice: PyYAML writes an anchor and an alias
        documents = [{"a": documents[0], "b": documents[0], "c": [documents[0]]}]
    text = yaml.dump_all(documents, default_flow_style=flow, allow_unicode=True)
    lean, exact = both(text)
    same_structure(lean, exact)
    shared = share and isinstance(documents[0]["a"], dict | list)
    if shared:
        assert lean[0]["a"] is lean[0]["b"]
        assert lean[0]["c"][0] is lean[0]["a"]
    loader = counted(text)
    assert loader.exact is not shared  # an alias: check_size walks the documents instead
    if loader.exact:
        assert loader.counts == walked(lean)


def counted(text: str) -> LeanLoader:
    """The loader once it has built every document of ``text``."""
    loader = LeanLoader(text)
    while loader.check_node():  # check_data, which the C loader lacks in its stubs
        loader.get_data()
    return loader


def walked(documents: list[Any]) -> list[tuple[int, int]]:
    """What check_size's walk finds in each document: its values, and its deepest nesting."""
    memo: dict[int, tuple[int, int]] = {}
    out = []
    for d in documents:
        size, height = _measure(d, 1, 10**6, memo)
        out.append((size, 1 + height if isinstance(d, dict | list) else 0))
    return out


def outcome(text: str, limits: Limits, walk: bool) -> str | None:
    """The 413 detail of ``text`` against ``limits`` (None: within them), from the loader's
    count or (``walk``) from check_size's walk of the loaded documents."""
    try:
        if walk:
            check_size(load_yaml_stream(text), limits)
        else:
            load_yaml_stream(text, limits)
    except InputError as err:
        return f"{type(err).__name__} {err.detail}"
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(trees, min_size=1, max_size=4), st.integers(1, 40), st.integers(1, 6), st.booleans())
def test_the_count_refuses_what_the_walk_refuses(documents: list[Any], nodes: int, depth: int, flow: bool) -> None:
    """Same refusal, with the same message, document by document as the walk goes."""
    text = yaml.dump_all(documents, default_flow_style=flow)
    limits = Limits(nodes=nodes, depth=depth)
    assert outcome(text, limits, walk=False) == outcome(text, limits, walk=True)


DUPLICATE = "a: [[[[x]]], [1, 2, 3]]\na: [1]\n"


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        ("a: [1, {b: [2, 3]}, {}]\nc: {d: {e: [x]}}\n---\n[1, 2]\n---\nscalar\n", True),
        ("a: &x {b: [1, 2]}\nc: [*x, *x]\n", False),  # aliased: walked, not counted
        ("a: {<<: {b: 1}, c: [1]}\n", False),  # a merge key: PyYAML builds it, walked
        (DUPLICATE, False),  # a duplicate key: its first value is dropped, then the key refused
        ("{true: [[1, 2]], 1: [3]}\n", False),  # true and 1 are one key in Python
    ],
    ids=["counted", "aliased", "merged", "duplicate key", "equal keys"],
)
def test_size_limits_hold_at_their_bounds(text: str, exact: bool) -> None:
    """A stream exactly at the limits loads (or, with a duplicate key, is refused for that, not
    its size); one value or one level fewer allowed refuses it as too large."""
    assert counted(text).exact is exact
    counts = walked(list(yaml.load_all(text, Loader=LeanLoader)))
    values, depth = sum(v for v, _ in counts), max(d for _, d in counts)
    if text == DUPLICATE:
        with pytest.raises(DuplicateKeyError) as duplicate:
            load_yaml_stream(text, Limits(nodes=values, depth=depth))
        assert duplicate.value.errors == [
            {"document": 0, "pointer": "/a", "detail": 'duplicate key "a": first at line 1, again at line 2', "line": 2}
        ]
    else:
        assert load_yaml_stream(text, Limits(nodes=values, depth=depth)) == load_yaml_stream(text)
    for limits, setting in (
        (Limits(nodes=values - 1, depth=depth), "NODES"),
        (Limits(nodes=values, depth=depth - 1), "DEPTH"),
    ):
        with pytest.raises(TooLargeError) as refused:
            load_yaml_stream(text, limits)
        assert refused.value.detail.endswith(f"(PODCALC_MAX_{setting})")


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("a: [1, 2, 3]\n---\n[[[[x]]]]\n", "NODES"),  # the first document is over the count first
        ("[[[[x]]]]\n---\na: [1, 2, 3]\n", "DEPTH"),
        ("x: [[[[1, 2, 3]]]]\nx: 1\n", "DUPLICATE"),  # only the surviving value counts: refused as a duplicate
    ],
)
def test_refusals_name_the_limit_the_walk_names(text: str, setting: str | None) -> None:
    limits = Limits(nodes=3, depth=3)
    detail = outcome(text, limits, walk=False)
    assert detail == outcome(text, limits, walk=True)
    if setting == "DUPLICATE":
        duplicate = 'document 0 /x: duplicate key "x": first at line 1, again at line 2'
        assert detail == f"DuplicateKeyError 1 problem(s): {duplicate}"
    else:
        assert detail is not None
        assert detail.startswith("TooLargeError ")
        assert detail.endswith(f"_{setting})")


def test_numbers_stay_exact_as_before() -> None:
    (doc,) = yaml.load_all("cpu: 1.500\nmem: 1e3\nn: 0x10\n", Loader=LeanLoader)
    assert doc == {"cpu": RawNumber("1.5"), "mem": RawNumber("1000"), "n": 16}


def test_no_text_of_a_stream_outlives_its_load() -> None:
    """The tag cache belongs to one load: a class-wide one kept manifests' texts (secrets in
    env values among them) across requests, and pinned 60-80 MB after a 10 MiB body."""
    loader = LeanLoader("password: hunter2\n")
    loader.get_single_data()
    assert "hunter2" in loader._tags
    assert "hunter2" not in LeanLoader("a: b\n")._tags
    assert not hasattr(LeanLoader, "_tags")


def test_several_errors_in_a_document_are_still_refused() -> None:
    """Both loaders refuse; the error named first may differ (see the module's docstring)."""
    text = "a:\n  b:\n    ? [x]\n    : 1\nc:\n  ? [y]\n  : 2\n"
    lean, exact = both(text)
    assert lean[0] is exact[0] is yaml.constructor.ConstructorError
    assert "found unhashable key" in lean[1]


@pytest.mark.parametrize("text", ["[" * 990 + "]" * 990, "a: &a [1]\nb: " + "[" * 990 + "*a" + "]" * 990])
def test_a_depth_setting_beyond_the_walk_is_held_to_256(text: str) -> None:
    """PODCALC_MAX_DEPTH=10000 once let 990 levels (libyaml reads up to 1,000) reach the
    walk's recursion: a RecursionError, a 500 through the API."""
    assert outcome(text, Limits(depth=10_000), walk=False) == (
        "TooLargeError values nested more than 256 levels deep: the limit is 256 (PODCALC_MAX_DEPTH)"
    )


def test_a_stream_body_of_json_null_is_malformed_and_a_yaml_null_is_an_empty_document() -> None:
    with pytest.raises(MalformedError) as err:
        read_stream(b"null", "application/json")
    assert err.value.errors == [{"pointer": "", "detail": "must be a JSON object, not null"}]
    assert read_stream(b"null\n", "application/yaml") == [None]


def test_a_two_sided_envelope_must_be_one_json_object() -> None:
    assert read_json_object(b'{"before": []}') == {"before": []}
    with pytest.raises(InvalidError) as err:
        read_json_object(b"[1]")
    assert (err.value.detail, err.value.errors) == (
        "the body must be a JSON object",
        [{"pointer": "", "detail": "must be a JSON object"}],
    )
