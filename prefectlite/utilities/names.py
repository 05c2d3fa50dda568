"""Two-word run names such as ``"olive-poodle"``: an adjective, a dash, an animal.

Flow runs of the eager API get one of these names, as Prefect 2/3 runs do, so that log lines
and journals can be read by a human (the run id stays the unique key). With 96 adjectives
and 96 animals there are 9,216 names: enough to tell the runs of one session apart, not to
identify a run forever.
"""

from __future__ import annotations

import random

__all__ = ["ADJECTIVES", "ANIMALS", "generate_slug"]

ADJECTIVES = (
    "able", "agile", "amber", "ancient", "arctic", "ashen", "azure", "bold", "brave",
    "breezy", "bright", "brisk", "bronze", "calm", "candid", "cheery", "clever", "cobalt",
    "cosmic", "coral", "crimson", "curious", "dapper", "daring", "dazzling", "deft", "dusky",
    "eager", "earnest", "electric", "emerald", "epic", "fancy", "fearless", "fiery", "fluffy",
    "frosty", "gentle", "giddy", "glossy", "golden", "graceful", "hazel", "honest", "humble",
    "icy", "indigo", "ivory", "jade", "jolly", "jovial", "keen", "kind", "lavender", "lively",
    "lucky", "lunar", "magenta", "mellow", "merry", "mighty", "misty", "modest", "nimble",
    "noble", "olive", "onyx", "pastel", "peachy", "plucky", "polite", "proud", "quick",
    "quiet", "radiant", "rapid", "rustic", "sandy", "scarlet", "serene", "silky", "silver",
    "sleepy", "smooth", "snowy", "solar", "spry", "steady", "sunny", "swift", "teal", "tidy",
    "tranquil", "vivid", "witty", "zesty",
)

ANIMALS = (
    "aardvark", "albatross", "alpaca", "antelope", "armadillo", "badger", "barracuda",
    "beaver", "bison", "bobcat", "buffalo", "camel", "capybara", "caribou", "cheetah",
    "chinchilla", "cobra", "condor", "cougar", "coyote", "crane", "cricket", "dingo",
    "dolphin", "dormouse", "eagle", "echidna", "egret", "falcon", "ferret", "finch",
    "flamingo", "gazelle", "gecko", "gibbon", "giraffe", "gopher", "grouse", "hamster",
    "hedgehog", "heron", "hippo", "ibex", "ibis", "iguana", "jackal", "jaguar", "kestrel",
    "kiwi", "koala", "lemur", "leopard", "llama", "lobster", "lynx", "macaw", "manatee",
    "marmot", "meerkat", "mongoose", "moose", "narwhal", "newt", "ocelot", "octopus",
    "okapi", "orca", "osprey", "otter", "owl", "panda", "pangolin", "parrot", "pelican",
    "penguin", "puffin", "quail", "quokka", "rabbit", "raccoon", "raven", "reindeer",
    "salamander", "seal", "sparrow", "squid", "stork", "tapir", "tiger", "toucan", "turtle",
    "walrus", "weasel", "wombat", "yak", "zebra",
)

_choice = random.choice  # names need to be varied, not secret


def generate_slug(words: int = 2) -> str:
    """A random name of ``words`` words: adjectives, then one animal.

    Examples
    --------
    >>> name = generate_slug()
    >>> adjective, animal = name.split("-")
    >>> adjective in ADJECTIVES and animal in ANIMALS
    True
    >>> len(generate_slug(3).split("-"))
    3
    """
    if words < 1:
        raise ValueError(f"generate_slug needs at least one word, got words={words!r}.")
    return "-".join([*(_choice(ADJECTIVES) for _ in range(words - 1)), _choice(ANIMALS)])
