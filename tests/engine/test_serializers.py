"""Tests for prefectlite.engine.serializers: values to bytes and back."""

from __future__ import annotations

import base64
import bz2
import datetime
import gzip
import pickle
import zlib
from typing import Any

import pytest

from prefectlite.engine.serializers import (
    COMMON_FORMATS,
    CompressedSerializer,
    DateTimeSerializer,
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
    @pytest.mark.parametrize("fmt", COMMON_FORMATS)
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
        ({}, "Give format="),
        ({"compress": zlib.compress}, "Give format="),
        ({"format": "gzip", "compress": zlib.compress}, "not both"),
    ])
    def test_configuration_mistakes(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            CompressedSerializer(JSONSerializer(), **kwargs)

    def test_an_unknown_format_is_a_module_that_cannot_be_imported(self) -> None:
        with pytest.raises(ImportError, match=r"'rar' is not installed.*'bz2', 'gzip'"):
            CompressedSerializer(JSONSerializer(), format="rar")

    def test_a_format_module_needs_compress_and_decompress(self) -> None:
        with pytest.raises(ValueError, match="'json' module does not have 'compress'"):
            CompressedSerializer(JSONSerializer(), format="json")

    def test_any_module_with_compress_and_decompress_is_a_format(self) -> None:
        s = CompressedSerializer(JSONSerializer(), format="zlib")
        assert s.deserialize(zlib.compress(b"[1, 2]")) == [1, 2]

    def test_it_wraps_only_serializers(self) -> None:
        with pytest.raises(TypeError, match="wraps a Serializer"):
            CompressedSerializer("json", format="gzip")  # type: ignore[arg-type]


class TestPickleSerializerBackwardsCompatibility:
    def test_reads_base64_encoded_pickles_of_old_prefect_versions(self) -> None:
        old = base64.b64encode(pickle.dumps({"a": (1, 2)}))
        assert PickleSerializer().deserialize(old) == {"a": (1, 2)}

    def test_undecodable_bytes_raise_the_unpickling_error(self) -> None:
        with pytest.raises(pickle.UnpicklingError):
            PickleSerializer().deserialize(b"not a pickle!")


class TestDateTimeSerializer:
    def test_round_trip_keeps_the_instant_and_offset(self) -> None:
        import pendulum

        s = DateTimeSerializer()
        value = pendulum.datetime(2023, 3, 26, 1, 59, 30, tz="Europe/Berlin")
        data = s.serialize(value)
        assert data == b"2023-03-26T01:59:30+01:00"
        back = s.deserialize(data)
        assert back == value and back.utcoffset() == datetime.timedelta(hours=1)

    def test_accepts_standard_library_datetimes(self) -> None:
        value = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        assert DateTimeSerializer().deserialize(DateTimeSerializer().serialize(value)) == value

    def test_rejects_other_values_naming_the_type(self) -> None:
        with pytest.raises(TypeError, match="serializes datetime objects, got str"):
            DateTimeSerializer().serialize("2020-01-01")

    def test_is_portable_and_named(self) -> None:
        assert DateTimeSerializer().portable is True
        assert DateTimeSerializer().name == "datetime"
