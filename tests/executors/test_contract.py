"""The executor contract, one mixin inherited by every executor (cf. dask's GetFunctionTestMixin).

``ExecutorContract`` checks the interface of :mod:`prefectlite.executors.base` directly
(submit, wait_any, result, wait, prepare_task, start again) and then whole flows: each flow in
``FLOWS`` must end with the same task states on the executor under test as on the
``LocalExecutor``. The Dask classes run on the session's real ``LocalCluster``.
"""

from __future__ import annotations

import datetime
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from prefectlite import Flow, Parameter, Task, context, task, unmapped
from prefectlite.engine import signals
from prefectlite.engine.state import Failed, Mapped, State, Success, TriggerFailed
from prefectlite.engine.task_runner import run_task
from prefectlite.executors import Executor, LocalExecutor
from prefectlite.tasks.control_flow import case, merge
from prefectlite.triggers import all_finished, any_failed
from prefectlite.utilities.errors import safe_str

# -- functions and tasks (module level: workers import them by reference) --------------------


def add(x: int, y: int = 0) -> int:
    return x + y


def nap_then(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x


def keywords(a: int, *, b: int) -> tuple[int, int]:
    return a, b


@task
def inc(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task(max_retries=2, retry_delay=datetime.timedelta(seconds=0.05))
def flaky(x: int) -> int:
    if context.task_run_count < 2:
        raise ValueError("first attempt fails")
    return x


@task
def boom(x: int) -> int:
    raise RuntimeError(f"boom {x}")


@task
def skip_odd(x: int) -> int:
    if x % 2:
        raise signals.SKIP(f"{x} is odd")
    return x


@task(trigger=any_failed)
def on_failure() -> str:
    return "cleaned up"


@task(trigger=all_finished)
def always(x: Any = None) -> str:
    return "finished"


@task(timeout_seconds=0.1)
def too_slow(x: int) -> int:
    time.sleep(5)  # far past the timeout (the thread is left to finish on its own)
    return x


@task
def whoami(tag: str) -> tuple[Any, ...]:
    return (context.flow_name, context.parameters["n"], context.map_index, tag)


@task
def equals(x: int, y: int) -> bool:
    return x == y


class SelfInterrupted(BaseException):
    """A custom ``BaseException``, as a task might define."""


class HostileError(Exception):
    """An exception whose ``repr()`` and ``str()`` raise."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


class LockedError(Exception):
    """An exception that does not pickle: it holds a lock."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lock = threading.Lock()


@task
def raises(kind: str) -> None:
    errors: dict[str, Callable[[], BaseException]] = {
        "exit": lambda: SystemExit(3), "interrupt": lambda: KeyboardInterrupt("own"),
        "generator": lambda: GeneratorExit("g"), "custom": lambda: SelfInterrupted("c"),
        "hostile": HostileError, "locked": lambda: LockedError("cannot pickle me"),
    }
    if kind == "exit":
        sys.exit(3)
    raise errors[kind]()


@task
def a_dict() -> dict[str, int]:
    return {"a": 1}


@task
def a_set() -> set[int]:
    return {1, 2}


def hostile_tasks() -> tuple[Flow, dict[str, Task]]:
    """Tasks that do their worst; each ends Failed alone and the rest goes on."""
    tasks: dict[str, Task] = {}
    with Flow("hostile") as flow:
        for kind in ("exit", "interrupt", "generator", "custom", "hostile", "locked"):
            tasks[kind] = raises(kind)
            tasks[f"after-{kind}"] = inc(tasks[kind])
        tasks["map-dict"] = inc.map(a_dict())
        tasks["map-literal-dict"] = inc.map({"literal": 1})
        tasks["map-set"] = inc.map(a_set())
        tasks["ok"] = inc(inc(1))
    return flow, tasks


def hostile_flow() -> Flow:
    return hostile_tasks()[0]


# -- fixture flows ----------------------------------------------------------------------------


def mapped_flow() -> Flow:
    with Flow("mapped") as flow:
        firsts = inc.map(list(range(4)))
        seconds = double.map(firsts)
        plus = inc.map(inc.map([10, 20]))
        total(seconds)
        total(plus)
        double.map(inc.map(seconds))
    return flow


def retry_trigger_timeout_flow() -> Flow:
    with Flow("retries-triggers-timeouts") as flow:
        ok = flaky(3)
        bad = boom(ok)
        on_failure(upstream_tasks=[bad])
        inc(bad)  # TriggerFailed: all_successful upstream failed
        always(bad)
        skipped = skip_odd.map([1, 2, 3])
        inc.map(skipped)
        always(too_slow(1))
    return flow


def case_context_flow() -> Flow:
    with Flow("case-context") as flow:
        n = Parameter("n", default=2)
        cond = equals(n, 2)
        with case(cond, True):
            yes = inc(n)
        with case(cond, False):
            no = double(n)
        merge(yes, no)
        whoami.map(["a", "b"])
        inc.map([1, 2, 3]).set_upstream(whoami(unmapped("c")))
    return flow


FLOWS: dict[str, Callable[[], Flow]] = {
    "mapped": mapped_flow, "retries-triggers-timeouts": retry_trigger_timeout_flow,
    "case-context": case_context_flow, "hostile": hostile_flow,
}


def summary(state: State) -> dict[str, Any]:
    """Each task's final state type and result (exceptions by repr), keyed by slug."""
    return {t.slug: _summary(s) for t, s in state.result.items()}


def _summary(state: State) -> Any:
    if isinstance(state, Mapped):
        return ("Mapped", [_summary(child) for child in state.map_states])
    result = state.result
    if isinstance(result, BaseException):
        return (type(state).__name__, type(result).__name__, safe_str(result), state.message)
    return (type(state).__name__, result)


# -- the contract -----------------------------------------------------------------------------


def drain(executor: Executor, futures: list[Any], timeout: float = 30) -> list[Any]:
    """Results of ``futures`` in completion order, asking ``wait_any`` until all are reported."""
    pending, results, deadline = set(futures), [], time.monotonic() + timeout
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} futures never reported"
        for future in executor.wait_any(pending, timeout=1.0):
            pending.remove(future)
            results.append(executor.result(future))
    return results


class ExecutorContract:
    """What every executor must do; subclasses provide the ``executor`` fixture."""

    @pytest.fixture
    def executor(self) -> Executor:
        raise NotImplementedError

    def test_submit_then_result(self, executor: Executor) -> None:
        with executor.start():
            future = executor.submit(pow, 2, 5)
            assert executor.wait_any([future], timeout=30) == [future]
            assert executor.result(future) == 32

    def test_kwargs_reach_fn_and_extra_context_does_not(self, executor: Executor) -> None:
        extra = {"task_full_name": "keywords", "task_slug": "keywords-1", "map_index": None,
                 "task_tags": set()}
        with executor.start():
            future = executor.submit(keywords, 1, b=2, extra_context=extra)
            assert drain(executor, [future]) == [(1, 2)]

    def test_wait_any_reports_every_future_once(self, executor: Executor) -> None:
        with executor.start():
            futures = [executor.submit(nap_then, i, 0.01 * (i % 3)) for i in range(12)]
            assert sorted(drain(executor, futures)) == list(range(12))

    def test_wait_any_honours_its_timeout(self, executor: Executor) -> None:
        with executor.start():
            future = executor.submit(nap_then, 1, 0.6)
            start = time.monotonic()
            done = executor.wait_any([future], timeout=0.05)
            assert time.monotonic() - start < 0.5
            assert done in ([], [future])
            assert drain(executor, [f for f in [future] if f not in done]) in ([], [1])

    def test_wait_resolves_nested_collections(self, executor: Executor) -> None:
        with executor.start():
            a, b = executor.submit(add, 1, 2), executor.submit(add, 3)
            assert executor.wait({"a": [a, 5], "b": (b,)}) == {"a": [3, 5], "b": (3,)}

    def test_prepared_task_runs_through_run_task(self, executor: Executor) -> None:
        ctx = {"task_name": "double", "task_full_name": "double", "task_slug": "double-1",
               "task_tags": set(), "map_index": None, "parameters": {}}
        with executor.start():
            prepared = executor.prepare_task(double)
            futures = [executor.submit(run_task, prepared, {}, {"x": i}, ctx, None,
                                       extra_context=ctx) for i in range(5)]
            states = executor.wait(futures)
        assert [type(s) for s in states] == [Success] * 5
        assert [s.result for s in states] == [0, 2, 4, 6, 8]

    def test_futures_as_arguments_when_resolved_there(self, executor: Executor) -> None:
        if not executor.resolves_futures:
            pytest.skip("this executor resolves no futures in submit()")
        with executor.start():
            first = executor.submit(add, 1, 1)
            second = executor.submit(add, first, y=first)
            assert drain(executor, [second]) == [4]

    def test_done_callback_once_finished(self, executor: Executor) -> None:
        seen: list[Any] = []
        called = threading.Event()

        def fn(future: Any) -> None:
            seen.append(executor.result(future))
            called.set()

        with executor.start():
            future = executor.submit(add, 2, 3)
            executor.add_done_callback(future, fn)
            assert called.wait(30)
        assert seen == [5]

    def test_done_callback_on_a_done_future_runs_at_once(self, executor: Executor) -> None:
        seen: list[Any] = []
        with executor.start():
            future = executor.submit(add, 1, 1)
            drain(executor, [future])  # done and reported
            executor.add_done_callback(future, lambda f: seen.append(threading.get_ident()))
        assert seen == [threading.get_ident()]

    def test_start_again_after_a_run(self, executor: Executor) -> None:
        for n in (1, 2):
            with executor.start():
                assert drain(executor, [executor.submit(add, n, 10)]) == [n + 10]

    def test_executor_pickles_between_runs(self, executor: Executor) -> None:
        copy = pickle.loads(pickle.dumps(executor))
        assert type(copy) is type(executor)

    def test_whatever_a_task_does_only_that_task_fails(self, executor: Executor) -> None:
        flow, tasks = hostile_tasks()
        state = flow.run(executor=executor)
        assert type(state) is Failed
        states = {name: state.result[t] for name, t in tasks.items()}
        for kind, error in [("exit", "SystemExit(3)"), ("interrupt", "KeyboardInterrupt('own')"),
                            ("generator", "GeneratorExit('g')"),
                            ("custom", "SelfInterrupted('c')")]:
            failed = states[kind]
            assert type(failed) is Failed
            assert failed.message == (f"Task 'raises' raised {error}; the task failed and the "
                                      "flow run goes on.")
            assert type(failed.result).__name__ == error.split("(")[0]
        hostile, locked = states["hostile"], states["locked"]
        assert hostile.message == ("Error during execution of task: <HostileError object (its "
                                   "repr() raised RuntimeError('no repr'))>")
        assert type(hostile.result) is HostileError
        assert type(locked.result) is LockedError  # the original class, sent back
        assert locked.result.args == ("cannot pickle me",)
        for name in ("map-dict", "map-literal-dict", "map-set"):
            assert type(states[name]) is Failed
            assert states[name].message == "At least one upstream state has an unmappable result."
            assert "Cannot map task 'inc'" in str(states[name].result)
        assert all(type(s) is TriggerFailed for n, s in states.items() if n.startswith("after"))
        assert states["ok"].result == 3

    @pytest.mark.parametrize("name", sorted(FLOWS))
    def test_flow_states_equal_local_executor(self, executor: Executor, name: str) -> None:
        flow = FLOWS[name]()
        expected = flow.run(executor=LocalExecutor())
        got = flow.run(executor=executor)
        assert summary(got) == summary(expected)
        assert type(got) is type(expected)

    def test_flow_executor_is_used_by_run(self, executor: Executor) -> None:
        with Flow("own-executor", executor=executor) as flow:
            result = total(inc.map([1, 2, 3]))
        assert flow.run().result[result].result == 9


class TestLocalExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        return LocalExecutor()


class TestLocalThreadPoolExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        from prefectlite.executors import LocalThreadPoolExecutor

        return LocalThreadPoolExecutor(max_workers=4)


class TestLocalProcessPoolExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        from prefectlite.executors import LocalProcessPoolExecutor

        return LocalProcessPoolExecutor(max_workers=2)


@pytest.mark.dask
class TestLocalDaskThreads(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        pytest.importorskip("dask")
        from prefectlite.executors import LocalDaskExecutor

        return LocalDaskExecutor("threads", num_workers=4)


@pytest.mark.dask
class TestLocalDaskSynchronous(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        pytest.importorskip("dask")
        from prefectlite.executors import LocalDaskExecutor

        return LocalDaskExecutor("synchronous")


@pytest.mark.dask
class TestLocalDaskProcesses(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        pytest.importorskip("dask")
        from prefectlite.executors import LocalDaskExecutor

        return LocalDaskExecutor("processes", num_workers=2)


@pytest.mark.dask
class TestDaskExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self, dask_address: str) -> Iterator[Executor]:
        from prefectlite.executors import DaskExecutor

        yield DaskExecutor(address=dask_address)


def test_the_base_executor_implements_neither_submit_nor_wait() -> None:
    base = Executor()
    with base.start():  # start does nothing
        with pytest.raises(NotImplementedError, match="Executor must implement submit"):
            base.submit(print)
        with pytest.raises(NotImplementedError, match="Executor must implement wait"):
            base.wait([1])
        with pytest.raises(NotImplementedError, match="must implement add_done_callback"):
            base.add_done_callback(object(), print)
