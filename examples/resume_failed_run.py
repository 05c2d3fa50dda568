"""Resume a failed run: only what did not finish runs again.

A journaled run (``flow.run(journal=True)``) records every task's state and result in the
run journal, ``$PREFECTLITE_HOME/prefectlite.db``. Here half of the mapped ``convert``
children fail on purpose (unless ``EXAMPLE_CONVERT_FIXED=1`` is set). The script then
"fixes" the problem by setting that variable and resumes the run with
``flow.run(resume=run_id)``: the finished downloads and conversions are read back from
the journal, and only the failed children and what depends on them run again.

The same works across processes, and after a crash or ``kill -9``: run a flow with
``journal=True``, and later ``flow.run(resume="latest")`` picks up its latest run that did
not succeed and was not resumed to success. One process at a time resumes a run: resuming
it again continues from its resumption (here: nothing is left to run), and a resume while
another process resumes it is refused, or waits with ``resume_wait=True``. This script uses
a temporary ``PREFECTLITE_HOME`` unless you set one.
"""

from __future__ import annotations

import collections
import os
import tempfile

from prefectlite import Flow, Parameter, task
from prefectlite.persistence.journal import RunStore
from prefectlite.utilities.configuration import set_temporary_config

WORK: collections.Counter[str] = collections.Counter()  # what actually ran, per task


@task
def download(n: int) -> list[str]:
    WORK["download"] += 1
    return [f"page {i}" for i in range(n)]


@task
def convert(page: str) -> int:
    WORK["convert"] += 1
    number = int(page.split()[1])
    if number % 2 and os.environ.get("EXAMPLE_CONVERT_FIXED") != "1":
        raise ValueError(f"cannot convert {page!r} (set EXAMPLE_CONVERT_FIXED=1 to fix)")
    return len(page) * 10 + number


@task
def summarize(sizes: list[int]) -> str:
    WORK["summarize"] += 1
    return f"{len(sizes)} pages, {sum(sizes)} bytes"


with Flow("resume-example") as flow:
    pages = download(Parameter("n", default=10))
    summary = summarize(convert.map(pages))


def main() -> None:
    first = flow.run(journal=True)
    run_id = first.context["flow_run_id"]
    print(f"first run {run_id}: {type(first).__name__}, work done: {dict(WORK)}")
    if first.is_successful():  # EXAMPLE_CONVERT_FIXED was set from the start
        print(first.result[summary].result)
        return

    with RunStore() as journal:  # what the journal knows about the failed run
        rows = journal.get_run(run_id).task_runs
        failed = [r.map_index for r in rows if r.state == "Failed" and r.map_index is not None]
    print(f"children that failed: {failed}")
    assert failed == [1, 3, 5, 7, 9]

    os.environ["EXAMPLE_CONVERT_FIXED"] = "1"  # "fix the bug", then resume
    WORK.clear()
    second = flow.run(resume=run_id)
    print(f"resumed run {second.context['flow_run_id']}: {type(second).__name__}, "
          f"work done: {dict(WORK)}")
    assert second.is_successful()
    assert WORK == {"convert": 5, "summarize": 1}  # no download, 5 conversions, 1 summary
    print(second.result[summary].result)

    WORK.clear()  # resuming the first run again resumes the second one: nothing runs
    third = flow.run(resume=run_id)
    assert third.is_successful() and not WORK
    with RunStore() as journal:
        assert journal.latest_run(flow.name) is None  # "latest": nothing left to resume
        print(f"the run's flow file, for `prefectlite run FILE --resume`: "
              f"{journal.get_run(run_id).flow_file}")


if __name__ == "__main__":
    if "PREFECTLITE_HOME" in os.environ:
        main()
    else:  # leave nothing behind
        with tempfile.TemporaryDirectory(prefix="prefectlite-example-") as home, \
                set_temporary_config({"home_dir": home}):
            main()
