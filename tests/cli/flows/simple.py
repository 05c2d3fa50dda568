"""Two small chains with Parameters: everything succeeds."""

from prefectlite import Flow, Parameter, task


@task
def add(x, y=1):
    return x + y


@task
def shout(word):
    return str(word).upper()


with Flow("simple") as flow:
    n = Parameter("n", default=2)
    word = Parameter("word", default="hi")
    total = add(add(n, y=2), y=100)
    loud = shout(word)
