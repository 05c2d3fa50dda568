"""Branching with ``case`` and ``merge``, driven by a Parameter.

    python examples/branching.py

The flow formats a report either as a table or as a one-line summary, depending on the
``style`` Parameter. Each ``with case(style, value):`` block compares the Parameter with its
value at run time; the tasks built inside a block whose value does not match are ``Skipped``.
``merge`` takes the result of whichever branch ran, and ``publish`` uses it without knowing
which branch that was. The flow is run twice, once per style.
"""

from __future__ import annotations

import logging

from prefectlite import Flow, Parameter, case, task
from prefectlite.tasks.control_flow import merge

logging.getLogger("prefectlite").setLevel(logging.WARNING)  # only the lines printed here

SCORES = {"ada": 92, "grace": 88, "linus": 75}


@task
def load_scores() -> dict[str, int]:
    return dict(SCORES)


@task
def as_table(scores: dict[str, int]) -> str:
    width = max(len(name) for name in scores)
    return "\n".join(f"{name:<{width}} | {score:>3}" for name, score in sorted(scores.items()))


@task
def as_summary(scores: dict[str, int]) -> str:
    best = max(scores, key=scores.__getitem__)
    return f"{len(scores)} scores, best {best} ({scores[best]})"


@task
def publish(text: str) -> str:
    return f"--- report ---\n{text}"


def build() -> Flow:
    with Flow("branching") as flow:
        style = Parameter("style", default="table")
        scores = load_scores()
        with case(style, "table"):
            table = as_table(scores)
        with case(style, "summary"):
            summary = as_summary(scores)
        publish(merge(table, summary))
    return flow


def main() -> None:
    flow = build()
    for style in ("table", "summary"):
        state = flow.run(style=style)
        by_name = {t.name: s for t, s in state.result.items()}
        ran = [n for n in ("as_table", "as_summary") if not by_name[n].is_skipped()]
        skipped = [n for n in ("as_table", "as_summary") if by_name[n].is_skipped()]
        print(f"style={style!r}: ran {ran}, skipped {skipped}")
        print(by_name["publish"].result)
        print()

        assert state.is_successful()
        assert ran == [f"as_{style}"] and len(skipped) == 1
        assert by_name["publish"].result.startswith("--- report ---\n")

    state = flow.run(style="chart")  # no branch matches: merge and publish are skipped too
    by_name = {t.name: s for t, s in state.result.items()}
    print(f"style='chart': publish is {type(by_name['publish']).__name__}")
    assert by_name["Merge"].is_skipped() and by_name["publish"].is_skipped()


if __name__ == "__main__":
    main()
