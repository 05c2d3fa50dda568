"""A required Parameter and a typed default."""

from prefectlite import Flow, Parameter, task


@task
def repeat(word, times):
    return [word] * times


with Flow("needs-param") as flow:
    word = Parameter("word")
    times = Parameter("times", default=2)
    repeat(word, times)
