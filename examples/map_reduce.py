"""Fetch, transform, load: one mapped child per file, then one reducer over all of them.

    python examples/map_reduce.py

The script writes a few small CSV files of sales to a temporary directory, then runs a flow:

``list_files``
    returns the paths (a plain task returning a list);
``read.map``
    reads each file (one child per path: ``read[0]``, ``read[1]``, ...);
``transform.map``
    totals each file's rows; child ``i`` takes child ``i`` of ``read``, so a file is
    transformed as soon as it is read (depth-first: at most one file's rows are held at once
    on the local executor);
``load``
    is a reducer: a plain call on a mapped task receives the list of the children's results.

One file is broken on purpose. Its ``read`` child fails, its ``transform`` child is
``TriggerFailed``, and the others carry on. ``load`` uses the ``all_finished`` trigger so it
still loads the good totals and reports the broken file, and it is the reference task, so the
flow's state is the state of the load.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from pathlib import Path

from prefectlite import Flow, Parameter, task
from prefectlite.triggers import all_finished

# Quiet the per-task lines, including the (expected) error and traceback of the broken file.
logging.getLogger("prefectlite.TaskRunner").setLevel(logging.CRITICAL)

SALES = {
    "north.csv": [("widget", 3, 2.50), ("gadget", 1, 10.00)],
    "south.csv": [("widget", 10, 2.50)],
    "east.csv": [("gizmo", 2, 7.25), ("widget", 4, 2.50), ("gadget", 2, 10.00)],
    "west.csv": [],
}


def write_files(directory: Path) -> None:
    """The example's input: one CSV per region, and one file that is not CSV at all."""
    for name, rows in SALES.items():
        with open(directory / name, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["item", "quantity", "price"])
            writer.writerows(rows)
    (directory / "broken.csv").write_text("item,quantity,price\nwidget,many,2.50\n")


@task
def list_files(directory: str) -> list[str]:
    return sorted(str(p) for p in Path(directory).glob("*.csv"))


@task
def read(path: str) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        int(row["quantity"])  # fail early on a bad file: ValueError names the value
    return rows


@task
def transform(rows: list[dict[str, str]]) -> float:
    return round(sum(int(r["quantity"]) * float(r["price"]) for r in rows), 2)


@task(trigger=all_finished)
def load(paths: list[str], totals: list[float | BaseException]) -> dict[str, object]:
    good = {Path(p).stem: t for p, t in zip(paths, totals) if not isinstance(t, BaseException)}
    bad = [Path(p).stem for p, t in zip(paths, totals) if isinstance(t, BaseException)]
    return {"loaded": good, "grand_total": round(sum(good.values()), 2), "rejected": bad}


def build() -> Flow:
    with Flow("map-reduce") as flow:
        paths = list_files(Parameter("directory"))
        totals = transform.map(read.map(paths))
        summary = load(paths, totals)
    flow.set_reference_tasks([summary])
    return flow


def main() -> None:
    flow = build()
    with tempfile.TemporaryDirectory(prefix="prefectlite-example-") as directory:
        write_files(Path(directory))
        state = flow.run(directory=directory)

    by_name = {t.name: s for t, s in state.result.items()}
    paths = by_name["list_files"].result
    reads, totals = by_name["read"].map_states, by_name["transform"].map_states
    print(f"{len(paths)} files:")
    for path, read_state, total_state in zip(paths, reads, totals):
        print(f"  {Path(path).name:>10}  read: {type(read_state).__name__:<8}"
              f"transform: {type(total_state).__name__:<14}"
              f"total: {total_state.result if total_state.is_successful() else '-'}")
    summary = by_name["load"].result
    print(f"loaded {summary['loaded']}")
    print(f"grand total {summary['grand_total']:.2f}; rejected: {summary['rejected']}")
    print(f"flow: {state!r}")

    assert [type(s).__name__ for s in totals] == [  # broken.csv sorts first
        "TriggerFailed", "Success", "Success", "Success", "Success"]
    assert summary["loaded"] == {"east": 44.5, "north": 17.5, "south": 25.0, "west": 0}
    assert summary["grand_total"] == 87.0 and summary["rejected"] == ["broken"]
    assert state.is_successful()


if __name__ == "__main__":
    main()
