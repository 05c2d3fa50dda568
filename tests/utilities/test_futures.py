"""DoneFuture: the one finished future of executors and task runners."""

from __future__ import annotations

import concurrent.futures as cf

import pytest

from prefectlite.utilities.futures import DoneFuture, call_now


def test_holds_a_value() -> None:
    future = DoneFuture(4)
    assert future.done() and not future.running() and not future.cancelled()
    assert not future.cancel()
    assert future.result() == 4 and future.exception() is None
    seen: list[DoneFuture] = []
    future.add_done_callback(seen.append)
    assert seen == [future]
    assert repr(future) == "<DoneFuture: finished>"


def test_holds_an_error() -> None:
    error = KeyError("k")
    future = DoneFuture(error=error)
    assert future.exception() is error
    with pytest.raises(KeyError):
        future.result()
    assert "raised KeyError('k')" in repr(future)


def test_call_now_keeps_exceptions_but_not_interrupts() -> None:
    assert call_now(divmod, 7, 2).result() == (3, 1)
    assert isinstance(call_now(divmod, 1, 0).exception(), ZeroDivisionError)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_now(interrupted)


def test_waits_treat_it_as_done() -> None:
    # futures of a run may mix pool futures and finished ones
    pool_future: cf.Future[int] = cf.Future()
    pool_future.set_result(1)
    done = [f for f in (DoneFuture(2), pool_future) if f.done()]
    assert len(done) == 2
