"""The eager API's machinery: running ``@flow`` functions and the tasks they call.

Public names live where Prefect 3 users look for them (:mod:`prefectlite.flows`,
:mod:`prefectlite.states`, :mod:`prefectlite.futures`, :mod:`prefectlite.task_runners`);
this package holds what makes them work:

``run``          :class:`~prefectlite.eager.run.FlowRun`, one run of a flow (ids, name,
                 task runner, logger) and ``get_run_logger``
``task_calls``   a task called, submitted or mapped inside a run: arguments resolved, then
                 one call of the engine's ``run_task``, its state converted at the boundary
``resolution``   binding a call's arguments and resolving the futures and states among them
``async_tasks``  the same step list for ``async def`` tasks, awaited on the flow's loop
``flow_engine``  a flow called: parameters validated, the body run with retries, timeout
                 and ``log_prints``, the final state decided
``validation``   coercion of flow parameters from type hints (pydantic when installed)
``timeouts``     stopping a flow body that runs past ``timeout_seconds``
``journal``      recording eager runs in the run journal (``@flow(journal=True)``)
``loggers``      the run loggers and ``get_run_logger``
``annotations``  ``allow_failure`` and ``quote``
``exceptions``   the Prefect 3 exception names (``FailedRun``, ``ParameterTypeError``, ...)

Nothing here is imported by ``import prefectlite``: the decorators import it when a flow is
first called.
"""
