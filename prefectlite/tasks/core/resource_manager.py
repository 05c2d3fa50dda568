"""``resource_manager``: set up a resource for a block of tasks and always clean it up.

Decorate a class that has ``setup()`` (returning the resource) and ``cleanup(resource)``::

    @resource_manager
    class TemporaryDir:
        def __init__(self, prefix):
            self.prefix = prefix
        def setup(self):
            return tempfile.mkdtemp(prefix=self.prefix)
        def cleanup(self, path):
            shutil.rmtree(path)

    with Flow("f") as flow:
        with TemporaryDir("work-") as path:
            write(path)

Calling the decorated class inside a flow builds an init task (it creates the object; its
arguments may be tasks), a setup task (``setup()``) and a cleanup task; ``with ... as
resource:`` gives the setup task. Tasks built inside the block that have no upstream in the
block get the setup task upstream; a cleanup task is placed downstream of the tasks that have no
downstream in the block. The cleanup runs whenever setup succeeded, even if tasks in the
block failed, and it is not a reference task: the flow's state comes from the block's tasks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.engine import signals
from prefectlite.engine.state import State
from prefectlite.exceptions import FlowContextError
from prefectlite.utilities.context import context


def resource_cleanup_trigger(upstream_states: dict[Any, State]) -> bool:
    """Run the cleanup when the setup task succeeded, whatever happened to the others."""
    for edge, state in upstream_states.items():
        if getattr(edge, "key", None) == "resource":
            if state.is_successful() and not state.is_skipped():
                return True
            raise signals.SKIP("Resource setup did not succeed; nothing to clean up.")
    return True


class ResourceInitTask(Task):
    """Creates the managed object from the init arguments (which may be task results)."""

    def __init__(self, resource_class: type, **kwargs: Any) -> None:
        self.resource_class = resource_class
        super().__init__(**kwargs)

    def run(self, **init_kwargs: Any) -> Any:
        return self.resource_class(**init_kwargs)


class ResourceSetupTask(Task):
    """Calls ``setup()`` on the managed object; its result is the resource."""

    def run(self, manager: Any) -> Any:
        return manager.setup()


class ResourceCleanupTask(Task):
    """Calls ``cleanup(resource)``; runs whenever the setup succeeded."""

    _reference_passthrough = True  # not a reference task: see Flow.reference_tasks

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trigger", resource_cleanup_trigger)
        kwargs.setdefault("checkpoint", False)  # a resource is never restored on resume
        kwargs.setdefault("skip_on_upstream_skip", False)
        super().__init__(**kwargs)

    def run(self, manager: Any, resource: Any) -> None:
        manager.cleanup(resource)


class ResourceContext:
    """The block opened by ``with Manager(...) as resource:`` (see the module docstring)."""

    def __init__(self, init_task: Task, setup_task: Task, cleanup_task: Task, flow: Flow):
        self.init_task, self.setup_task, self.cleanup_task = init_task, setup_task, cleanup_task
        self.flow = flow
        self._tasks: list[Task] = []

    def add_task(self, task: Task, flow: Flow) -> None:
        if flow is self.flow and task is not self.cleanup_task:
            self._tasks.append(task)

    def __enter__(self) -> Task:
        self._outer = context.get("_blocks", ())
        context.update(_blocks=(*self._outer, self))
        return self.setup_task

    def __exit__(self, *exc: object) -> None:
        context.update(_blocks=self._outer)
        if exc[0] is not None:
            return
        flow, inside = self.flow, set(self._tasks)
        for t in self._tasks:
            ups = flow.upstream_tasks(t)
            if not inside & ups and t is not self.setup_task and self.setup_task not in ups:
                t.set_upstream(self.setup_task, flow=flow)
        self.cleanup_task.bind(manager=self.init_task, resource=self.setup_task, flow=flow)
        for t in self._tasks:
            if not inside & flow.downstream_tasks(t):
                self.cleanup_task.set_upstream(t, flow=flow)


class ResourceManager:
    """What ``@resource_manager`` returns: call it in a flow to open a resource block."""

    def __init__(self, resource_class: type, name: str | None = None) -> None:
        for method in ("setup", "cleanup"):
            if not callable(getattr(resource_class, method, None)):
                raise TypeError(
                    f"@resource_manager class {resource_class.__name__} needs a {method}() "
                    "method (setup() returns the resource; cleanup(resource) releases it)."
                )
        self.resource_class = resource_class
        self.name = name or resource_class.__name__

    def __call__(self, *args: Any, flow: Flow | None = None, **kwargs: Any) -> ResourceContext:
        flow = flow if flow is not None else context.get("flow")
        if flow is None:
            raise FlowContextError(
                f"Resource manager {self.name} must be used inside `with Flow(...):` "
                "(or pass flow=)."
            )
        try:
            sig = inspect.signature(self.resource_class)
            init_kwargs = sig.bind(*args, **kwargs).arguments
        except TypeError as exc:
            raise TypeError(f"Resource manager {self.name}: {exc}") from None
        for pname, param in sig.parameters.items():  # flatten **kwargs into plain keys
            if param.kind is param.VAR_KEYWORD and pname in init_kwargs:
                init_kwargs.update(init_kwargs.pop(pname))
        init = ResourceInitTask(self.resource_class, name=f"{self.name}.init", checkpoint=False)
        init.bind(**init_kwargs, flow=flow)
        setup = ResourceSetupTask(name=f"{self.name}.setup", checkpoint=False)
        setup.bind(manager=init, flow=flow)
        cleanup = ResourceCleanupTask(name=f"{self.name}.cleanup")
        return ResourceContext(init, setup, cleanup, flow)


def resource_manager(
    resource_class: type | None = None, name: str | None = None
) -> ResourceManager | Callable[[type], ResourceManager]:
    """Class decorator turning a class with ``setup``/``cleanup`` into a resource manager."""
    if resource_class is None:
        return lambda cls: ResourceManager(cls, name=name)
    return ResourceManager(resource_class, name=name)
