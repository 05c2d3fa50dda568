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

from collections.abc import Callable
from typing import Any

from prefectlite.core.flow import Flow
from prefectlite.core.task import Task
from prefectlite.core.task_definition import SIGNATURE_ATTR, check_run_signature
from prefectlite.engine import signals
from prefectlite.engine.state import State
from prefectlite.exceptions import FlowContextError
from prefectlite.utilities.context import context


def resource_cleanup_trigger(upstream_states: dict[Any, State]) -> bool:
    """Run the cleanup once every upstream task finished, provided the manager's init task
    (edge key ``mgr``) and setup task (key ``resource``) succeeded; otherwise skip it."""
    for edge, state in upstream_states.items():
        if not state.is_finished():
            raise signals.TRIGGERFAIL(
                "Trigger was 'resource_cleanup_trigger' but some of the upstream tasks were "
                "not finished."
            )
        key = getattr(edge, "key", None)
        if key in ("mgr", "resource"):
            step = "init" if key == "mgr" else "setup"
            if state.is_skipped():
                raise signals.SKIP(f"Resource manager {step} skipped")
            if not state.is_successful():
                raise signals.SKIP(f"Resource manager {step} failed")
    return True


class ResourceInitTask(Task):
    """Creates the managed object: its run is the decorated class itself, so the block's
    arguments (which may be tasks) are passed to the class's ``__init__``."""

    _reference_passthrough = True  # not a reference task (Prefect 1): see Flow.reference_tasks

    def __init__(self, resource_class: Callable[..., Any], **kwargs: Any) -> None:
        self.resource_class = resource_class
        sig = check_run_signature(resource_class, f"Resource manager {resource_class!r}")
        self.__dict__[SIGNATURE_ATTR] = sig
        super().__init__(**kwargs)

    def run(self, **init_kwargs: Any) -> Any:
        return self.resource_class(**init_kwargs)


class ResourceSetupTask(Task):
    """Calls ``setup()`` on the managed object; its result is the resource."""

    def run(self, mgr: Any) -> Any:
        return mgr.setup()


class ResourceCleanupTask(Task):
    """Calls ``cleanup(resource)`` (``resource`` is ``None`` without a setup task)."""

    _reference_passthrough = True  # not a reference task: see Flow.reference_tasks

    def run(self, mgr: Any, resource: Any = None) -> None:
        mgr.cleanup(resource)


class ResourceContext:
    """The block opened by ``with Manager(...) as resource:`` (see the module docstring)."""

    def __init__(self, init_task: Task, setup_task: Task | None, cleanup_task: Task,
                 flow: Flow) -> None:
        self.init_task, self.setup_task, self.cleanup_task = init_task, setup_task, cleanup_task
        self._flow = flow
        self._tasks: dict[Task, None] = {}  # ordered set

    def add_task(self, task: Task, flow: Flow) -> None:
        """Record a task added to ``flow`` inside the block (called by ``Flow.add_task``)."""
        if flow is not self._flow:
            raise ValueError(
                "Multiple flows cannot be used with the same resource block "
                f"({self.init_task.name} belongs to {self._flow!r}, not {flow!r})."
            )
        self._tasks[task] = None

    def __enter__(self) -> Task | None:
        self._outer = context.get("resource")
        context.update(resource=self)
        return self.setup_task

    def __exit__(self, *exc: object) -> None:
        if self._outer is None:
            context.pop("resource", None)
        else:
            context.update(resource=self._outer)
        if exc[0] is not None:
            return
        flow, inside, setup = self._flow, set(self._tasks), self.setup_task
        for child in self._tasks:
            upstream = flow.upstream_tasks(child)
            if setup is not None and not inside & upstream and setup not in upstream:
                child.set_upstream(setup, flow=flow)
            downstream = flow.downstream_tasks(child)
            if not inside & downstream and self.cleanup_task not in downstream:
                child.set_downstream(self.cleanup_task, flow=flow)


class ResourceManager:
    """What ``@resource_manager`` returns: call it in a flow to open a resource block.

    ``init_task_kwargs``, ``setup_task_kwargs`` and ``cleanup_task_kwargs`` are passed to the
    constructors of the three tasks (names default to ``Name``, ``Name.setup`` and
    ``Name.cleanup``; setup and cleanup are not checkpointed; the cleanup's trigger is
    :func:`resource_cleanup_trigger`).
    """

    def __init__(
        self,
        resource_class: Callable[..., Any],
        name: str | None = None,
        init_task_kwargs: dict[str, Any] | None = None,
        setup_task_kwargs: dict[str, Any] | None = None,
        cleanup_task_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.resource_class = resource_class
        if name is None:
            name = getattr(resource_class, "__name__", "resource")
        self.name = name
        self.init_task_kwargs = {"name": name, **(init_task_kwargs or {})}
        self.setup_task_kwargs = {"name": f"{name}.setup", "checkpoint": False,
                                  **(setup_task_kwargs or {})}
        self.cleanup_task_kwargs = {
            "name": f"{name}.cleanup", "trigger": resource_cleanup_trigger,
            "skip_on_upstream_skip": False, "checkpoint": False, **(cleanup_task_kwargs or {}),
        }

    def __call__(self, *args: Any, flow: Flow | None = None, **kwargs: Any) -> ResourceContext:
        if not callable(getattr(self.resource_class, "cleanup", None)):
            raise TypeError(
                f"Resource manager {self.name}: its class needs a cleanup(resource) method "
                "(and optionally setup(), whose result is the resource)."
            )
        if flow is None:
            flow = context.get("flow")
            if flow is None:
                raise FlowContextError(
                    f"Could not infer an active Flow context (resource manager {self.name}: "
                    "use it inside `with Flow(...):` or pass flow=)."
                )
        init = ResourceInitTask(self.resource_class, **self.init_task_kwargs)(
            *args, flow=flow, **kwargs)
        setup = None
        if callable(getattr(self.resource_class, "setup", None)):
            setup = ResourceSetupTask(**self.setup_task_kwargs)(init, flow=flow)
            cleanup = ResourceCleanupTask(**self.cleanup_task_kwargs)(init, setup, flow=flow)
        else:
            cleanup = ResourceCleanupTask(**self.cleanup_task_kwargs)(init, flow=flow)
        return ResourceContext(init, setup, cleanup, flow)


def resource_manager(
    resource_class: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    init_task_kwargs: dict[str, Any] | None = None,
    setup_task_kwargs: dict[str, Any] | None = None,
    cleanup_task_kwargs: dict[str, Any] | None = None,
) -> ResourceManager | Callable[[Callable[..., Any]], ResourceManager]:
    """Class decorator turning a class with ``cleanup`` (and usually ``setup``) into a
    resource manager; usable bare or with keyword options."""

    def make(cls: Callable[..., Any]) -> ResourceManager:
        return ResourceManager(cls, name=name, init_task_kwargs=init_task_kwargs,
                               setup_task_kwargs=setup_task_kwargs,
                               cleanup_task_kwargs=cleanup_task_kwargs)

    return make if resource_class is None else make(resource_class)
