"""Tests for prefectlite.engine.serializers: values to bytes and back."""

from __future__ import annotations

import bz2
import gzip
import zlib
from typing import Any

import pytest

from prefectlite.engine.serializers import (
    COMPRESSION_FORMATS,
    CompressedSerializer,
    JSONSerializer,
    PickleSerializer,
    Serializer,
)

REPETITIVE = {"rows": [{"name": "x" * 20, "value": i % 3} for i in range(500)]}


class TestSerializerBase:
    def test_methods_must_be_implemented(self) -> None:
        with pytest.raises(NotImplementedError, match="Serializer must implement serialize"):
            Serializer().serialize(1)
        with pytest.raises(NotImplementedError, match="deserialize"):
            Serializer().deserialize(b"")

    def test_equality_is_by_class(self) -> None:
        assert PickleSerializer() == PickleSerializer()
        assert PickleSerializer() != JSONSerializer()
        assert hash(PickleSerializer()) == hash(PickleSerializer())

    def test_a_custom_serializer_is_named_after_its_class_and_not_portable(self) -> None:
        class Upper(Serializer):
            def serialize(self, value: Any) -> bytes:
                return str(value).upper().encode()

            def deserialize(self, value: bytes) -> Any:
                return value.decode()

        assert Upper().name == "Upper"
        assert Upper().portable is False


class TestPickleSerializer:
    def test_round_trip_of_plain_values(self) -> None:
        s = PickleSerializer()
        value = {"a": [1, 2.5, None], "b": (True, "x"), "c": {3}}
        assert s.deserialize(s.serialize(value)) == value

    def test_round_trip_of_a_closure_through_cloudpickle(self) -> None:
        offset = 41
        s = PickleSerializer()
        restored = s.deserialize(s.serialize(lambda x: x + offset))
        assert restored(1) == 42

    def test_name_and_portability(self) -> None:
        assert PickleSerializer().name == "pickle"
        assert PickleSerializer().portable is False

    def test_garbage_does_not_deserialize(self) -> None:
        with pytest.raises(Exception):  # noqa: B017 - pickle raises several kinds
            PickleSerializer().deserialize(b"not a pickle")


class TestJSONSerializer:
    def test_round_trip(self) -> None:
        s = JSONSerializer()
        assert s.serialize({"a": [1, 2]}) == b'{"a": [1, 2]}'
        assert s.deserialize(s.serialize(REPETITIVE)) == REPETITIVE

    def test_values_json_cannot_hold_are_an_error(self) -> None:
        with pytest.raises(TypeError, match="not JSON serializable"):
            JSONSerializer().serialize({1, 2})

    def test_name_and_portability(self) -> None:
        assert JSONSerializer().name == "json"
        assert JSONSerializer().portable is True


class TestCompressedSerializer:
    @pytest.mark.parametrize("fmt", sorted(COMPRESSION_FORMATS))
    def test_each_format_round_trips_and_compresses(self, fmt: str) -> None:
        s = CompressedSerializer(PickleSerializer(), format=fmt)
        data = s.serialize(REPETITIVE)
        assert s.deserialize(data) == REPETITIVE
        assert len(data) < len(PickleSerializer().serialize(REPETITIVE)) / 5

    def test_gzip_output_is_a_real_gzip_stream_of_the_inner_bytes(self) -> None:
        s = CompressedSerializer(JSONSerializer(), format="gzip")
        assert gzip.decompress(s.serialize([1, 2])) == b"[1, 2]"

    def test_custom_functions_and_their_keyword_arguments(self) -> None:
        calls: list[dict[str, Any]] = []

        def compress(data: bytes, **kwargs: Any) -> bytes:
            calls.append(kwargs)
            return zlib.compress(data, **kwargs)

        s = CompressedSerializer(JSONSerializer(), compress=compress,
                                 decompress=zlib.decompress, compress_kwargs={"level": 1})
        assert s.deserialize(s.serialize("abc")) == "abc"
        assert calls == [{"level": 1}]
        assert s.name == "TestCompressedSerializer.test_custom_functions_and_their_keyword_" \
            "arguments.<locals>.compress+json"

    def test_compress_kwargs_reach_the_format_function(self) -> None:
        fast = CompressedSerializer(PickleSerializer(), format="bz2",
                                    compress_kwargs={"compresslevel": 1})
        assert bz2.decompress(fast.serialize(1)) == PickleSerializer().serialize(1)

    def test_name_and_portability_follow_the_inner_serializer(self) -> None:
        assert CompressedSerializer(PickleSerializer(), format="zlib").name == "zlib+pickle"
        assert CompressedSerializer(PickleSerializer(), format="zlib").portable is False
        assert CompressedSerializer(JSONSerializer(), format="lzma").portable is True

    def test_equality(self) -> None:
        a = CompressedSerializer(JSONSerializer(), format="gzip")
        assert a == CompressedSerializer(JSONSerializer(), format="gzip")
        assert a != CompressedSerializer(PickleSerializer(), format="gzip")
        assert a != CompressedSerializer(JSONSerializer(), format="bz2")

    @pytest.mark.parametrize("kwargs, message", [
        ({"format": "rar"}, "format='rar' is not one of bz2, gzip, lzma, zlib"),
        ({}, "Give format="),
        ({"compress": zlib.compress}, "Give format="),
        ({"format": "gzip", "compress": zlib.compress}, "not both"),
    ])
    def test_configuration_mistakes(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            CompressedSerializer(JSONSerializer(), **kwargs)

    def test_it_wraps_only_serializers(self) -> None:
        with pytest.raises(TypeError, match="wraps a Serializer"):
            CompressedSerializer("json", format="gzip")  # type: ignore[arg-type]
