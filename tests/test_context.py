"""Tests for prefectlite.context (prefectlite.utilities.context)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

import prefectlite
from prefectlite import Flow, Task, context, tags
from prefectlite.utilities import context as ctx_module


def test_the_public_name() -> None:
    # prefectlite.context is a module (Prefect 3 imports from it) that acts as the context
    import prefectlite.context as public

    assert prefectlite.context is public is context
    assert isinstance(context, ctx_module.Context)
    with context(answer=42):
        assert ctx_module.context["answer"] == 42
        assert public.get("answer") == 42
    assert callable(public.get_run_context)


def test_block_adds_keys_and_restores() -> None:
    assert "answer" not in context
    with context(answer=42, other="x") as c:
        assert c is context
        assert context["answer"] == 42 and context.answer == 42
        assert context.get("answer") == 42 and "answer" in context
        with context({"answer": 43}):
            assert context.answer == 43 and context.other == "x"
        assert context.answer == 42
    assert context.get("answer") is None and context.get("answer", 1) == 1


def test_missing_keys() -> None:
    with pytest.raises(KeyError):
        context["missing"]
    with pytest.raises(AttributeError, match="context has no key 'missing'"):
        context.missing


def test_mapping_protocol() -> None:
    with context(a=1, b=2):
        keys = set(context)
        assert {"a", "b"} <= keys and len(context) == len(keys)
        assert context.to_dict()["a"] == 1
        assert dict(context)["b"] == 2
        assert repr(context).startswith("<Context: [") and "'a'" in repr(context)


def test_update_setattr_delattr_last_until_the_block_ends() -> None:
    with context():
        context.update(a=1)
        context.update({"b": 2})
        context.c = 3
        assert (context.a, context.b, context.c) == (1, 2, 3)
        del context.c
        assert "c" not in context
    assert not {"a", "b", "c"} & set(context)


def test_config_is_always_there_but_not_copied_into_each_dictionary() -> None:
    assert context.config is prefectlite.config and context["config"] is prefectlite.config
    assert "config" in context and "config" in list(context) and "config" in context.to_dict()
    assert "config" not in ctx_module.snapshot()  # nothing to pickle with each task
    with context(config={"flows": {"checkpointing": True}}):
        assert context.config.flows.checkpointing is True
        assert context.config.logging.level == prefectlite.config.logging.level
        assert ctx_module.snapshot()["config"] is context.config
    assert context.config is prefectlite.config


def test_values_are_never_changed_in_place() -> None:
    with context(a=1):
        before = ctx_module.snapshot()
        context.update(b=2)
        assert "b" not in before and ctx_module.snapshot() is not before
        assert context.to_dict() is not ctx_module.snapshot()


def test_install_and_restore() -> None:
    token = ctx_module.install({"only": True})
    try:
        assert context.to_dict() == {"only": True, "config": prefectlite.config}
    finally:
        ctx_module.restore(token)
    assert "only" not in context


def test_threads_start_empty_unless_given_a_copy() -> None:
    seen: dict[str, Any] = {}

    def look(label: str) -> None:
        seen[label] = context.get("who")

    with context(who="main"):
        thread = threading.Thread(target=look, args=("thread",))
        thread.start()
        thread.join()
        copied = contextvars.copy_context()
        thread = threading.Thread(target=copied.run, args=(look, "copied"))
        thread.start()
        thread.join()
        snap = ctx_module.snapshot()

        def installed() -> None:
            ctx_module.install(snap)
            look("installed")

        thread = threading.Thread(target=installed)
        thread.start()
        thread.join()
    assert seen == {"thread": None, "copied": "main", "installed": "main"}


def test_threads_do_not_see_each_others_changes() -> None:
    barrier = threading.Barrier(2)
    seen: dict[int, Any] = {}

    def work(i: int) -> None:
        with context(who=i):
            barrier.wait()
            seen[i] = context.who

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {0: 0, 1: 1}


def test_asyncio_tasks_each_see_their_own_values() -> None:
    async def work(i: int) -> int:
        with context(who=i):
            await asyncio.sleep(0)
            return int(context.who)

    async def main() -> list[int]:
        return await asyncio.gather(*(work(i) for i in range(3)))

    assert asyncio.run(main()) == [0, 1, 2]


def test_flow_and_tags_while_building() -> None:
    flow = Flow("f")
    assert context.get("flow") is None
    with flow:
        assert context.flow is flow
        with tags("a"):
            assert context.tags == {"a"}
            with tags("b"):
                assert context.tags == {"a", "b"}
        inner = Flow("inner")
        with inner:
            assert context.flow is inner
        assert context.flow is flow
    assert context.get("flow") is None and context.get("tags") is None


def test_flow_context_is_restored_after_an_error() -> None:
    with pytest.raises(RuntimeError), Flow("f"):
        Task()()
        raise RuntimeError("boom")
    assert context.get("flow") is None
