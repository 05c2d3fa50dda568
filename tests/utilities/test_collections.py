"""Tests for prefectlite.utilities.collections."""

from __future__ import annotations

import json
import pickle

import pytest

from prefectlite.utilities.collections import (
    CompoundKey,
    DotDict,
    as_nested_dict,
    dict_to_flatdict,
    flatdict_to_dict,
    flatten_seq,
    merge_dicts,
)


class TestFlattenSeq:
    def test_nested_lists_tuples_and_sets(self) -> None:
        assert list(flatten_seq([1, (2, [3, [4]]), {5}])) == [1, 2, 3, 4, 5]

    def test_text_stays_whole_and_it_is_lazy(self) -> None:
        out = flatten_seq(["ab", [b"cd"]])
        assert not isinstance(out, list)
        assert list(out) == ["ab", b"cd"]

    def test_a_non_iterable_is_a_type_error(self) -> None:
        with pytest.raises(TypeError):
            list(flatten_seq(7))  # type: ignore[arg-type]


class TestDotDict:
    def test_keys_and_attributes_are_the_same_values(self) -> None:
        d = DotDict({"a": 1}, b=2)
        d.c = 3
        d["e"] = 4
        assert (d.a, d.b, d["c"], d.e) == (1, 2, 3, 4) and len(d) == 4
        del d.a
        del d["b"]
        assert set(d) == {"c", "e"}

    def test_missing_key_and_attribute(self) -> None:
        d = DotDict()
        with pytest.raises(KeyError):
            d["nope"]
        with pytest.raises(AttributeError):
            d.nope  # noqa: B018
        assert d.get("nope", 5) == 5

    def test_any_hashable_key_and_sorted_repr(self) -> None:
        d = DotDict({1: "one"}, b=2, a=1)
        assert d[1] == "one"
        assert repr(d) == "<DotDict: 'a', 'b', 1>" and repr(DotDict()) == "<DotDict>"

    def test_keys_may_shadow_methods(self) -> None:
        d = DotDict(update=1, items=2)
        assert d.update == 1 and d["items"] == 2 and len(d) == 2

    def test_equality_copy_and_splatting(self) -> None:
        d = DotDict(x=1, y=[1])
        copied = d.copy()
        assert copied == d == {"x": 1, "y": [1]} and copied is not d
        copied.x = 2
        assert d.x == 1
        assert dict(**d) == {"x": 1, "y": [1]}

    def test_to_dict_converts_nested_values(self) -> None:
        d = DotDict(x=DotDict(y=[DotDict(z=1)]))
        plain = d.to_dict()
        assert plain == {"x": {"y": [{"z": 1}]}} and type(plain["x"]["y"][0]) is dict
        with pytest.raises(TypeError):
            json.dumps(d)
        assert json.dumps(plain) == '{"x": {"y": [{"z": 1}]}}'

    def test_setdefault_clear_and_pickle(self) -> None:
        d = DotDict(a=1)
        assert d.setdefault("a", 2) == 1 and d.setdefault("b", 3) == 3
        assert pickle.loads(pickle.dumps(d)) == d
        d.clear()
        assert len(d) == 0 and not hasattr(d, "a")


class TestNestedDicts:
    def test_as_nested_dict_reaches_into_sequences(self) -> None:
        d = as_nested_dict({"a": {"b": ({"c": 1},)}, "s": [1]})
        assert isinstance(d, DotDict) and d.a.b[0].c == 1 and isinstance(d.a.b, tuple)
        assert type(as_nested_dict(DotDict(a=DotDict(b=1)), dict)["a"]) is dict

    def test_merge_is_recursive_and_changes_neither_argument(self) -> None:
        first = {"a": {"x": 1, "y": 2}, "keep": True}
        second = {"a": {"y": 3, "z": 4}, "new": 1}
        merged = merge_dicts(first, second)
        assert merged == {"a": {"x": 1, "y": 3, "z": 4}, "keep": True, "new": 1}
        assert first == {"a": {"x": 1, "y": 2}, "keep": True}
        assert merge_dicts(first, {"a": {}}) == first

    def test_merge_keeps_the_first_argument_type(self) -> None:
        merged = merge_dicts(DotDict(a=DotDict(x=1)), {"a": {"y": 2}})
        assert isinstance(merged, DotDict) and merged.a == {"x": 1, "y": 2}

    def test_a_value_replaces_a_section_and_back(self) -> None:
        assert merge_dicts({"a": {"x": 1}}, {"a": 5}) == {"a": 5}
        assert merge_dicts({"a": 5}, {"a": {"x": 1}}) == {"a": {"x": 1}}


class TestFlatDicts:
    def test_round_trip(self) -> None:
        nested = {"a": {"b": {"c": 1}, "d": 2}, "e": 3}
        flat = dict_to_flatdict(nested)
        assert flat == {CompoundKey(("a", "b", "c")): 1, CompoundKey(("a", "d")): 2,
                        CompoundKey(("e",)): 3}
        assert all(isinstance(k, CompoundKey) for k in flat)
        assert flatdict_to_dict(flat) == nested

    def test_dotdicts_are_flattened_and_rebuilt_with_a_class(self) -> None:
        flat = dict_to_flatdict(DotDict(a=DotDict(b=1)))
        rebuilt = flatdict_to_dict(flat, dct_class=DotDict)
        assert isinstance(rebuilt, DotDict) and isinstance(rebuilt.a, DotDict)
        assert rebuilt.a.b == 1

    def test_plain_keys_stay_top_level(self) -> None:
        assert flatdict_to_dict({"a": 1, ("x", "y"): 2}) == {"a": 1, ("x", "y"): 2}
