"""Describing and shipping exceptions that misbehave (prefectlite.utilities.errors)."""

from __future__ import annotations

import pickle
import threading

import cloudpickle

from prefectlite.utilities.errors import PortableError, portable_exception, safe_repr, safe_str


class Hostile(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __str__(self) -> str:
        raise RuntimeError("no str")


class Locked(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lock = threading.Lock()
        self.note = "kept"


class NoRebuild(Exception):
    """Never pickles: not importable by name, and its class holds a lock."""

    guard = threading.Lock()

    def __init__(self, a: str, b: str) -> None:
        super().__init__(a + b)


NoRebuild.__qualname__ = "Elsewhere"


def test_safe_repr_and_str_never_raise() -> None:
    assert safe_repr(Hostile()) == "<Hostile object (its repr() raised RuntimeError('no repr'))>"
    assert safe_str(Hostile()) == "<Hostile object (its str() raised RuntimeError('no str'))>"
    assert safe_repr(ValueError("x")) == "ValueError('x')"


def test_a_picklable_exception_is_returned_as_it_is() -> None:
    error = ValueError("fine")
    assert portable_exception(error) is error


def test_an_unpicklable_exception_becomes_a_copy_of_its_class() -> None:
    copy = portable_exception(Locked("boom"))
    restored = pickle.loads(cloudpickle.dumps(copy))
    assert type(restored) is Locked and restored.args == ("boom",)
    assert restored.note == "kept"


def test_an_exception_that_cannot_be_rebuilt_is_named() -> None:
    copy = portable_exception(NoRebuild("a", "b"))
    restored = pickle.loads(cloudpickle.dumps(copy))
    assert type(restored) is PortableError
    assert str(restored) == f"{__name__}.Elsewhere: ab"


def test_an_exception_whose_str_raises_still_travels() -> None:
    class HostileLocked(Hostile):
        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()

    restored = pickle.loads(cloudpickle.dumps(portable_exception(HostileLocked())))
    assert type(restored).__name__ == "HostileLocked"
