"""prefectlite.utilities.names: two-word run names."""

from __future__ import annotations

import pytest

from prefectlite.utilities.names import ADJECTIVES, ANIMALS, generate_slug


def test_two_words_from_the_lists() -> None:
    names = {generate_slug() for _ in range(200)}
    assert len(names) > 150  # varied
    for name in names:
        adjective, animal = name.split("-")
        assert adjective in ADJECTIVES and animal in ANIMALS


def test_word_lists_are_clean() -> None:
    for words in (ADJECTIVES, ANIMALS):
        assert len(set(words)) == len(words)
        assert all(w.isalpha() and w.islower() for w in words)


def test_more_words_and_bad_counts() -> None:
    assert len(generate_slug(3).split("-")) == 3
    assert generate_slug(1) in ANIMALS
    with pytest.raises(ValueError, match="at least one word"):
        generate_slug(0)
