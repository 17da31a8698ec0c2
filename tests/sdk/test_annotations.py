"""Annotations: unmapped, allow_failure and quote wrappers."""

from __future__ import annotations

import pickle

import pytest

from podium.annotations import BaseAnnotation, Quote, allow_failure, quote, unmapped


@pytest.mark.parametrize("kind", [unmapped, allow_failure, quote])
def test_wrappers_unwrap_and_rewrap(kind):
    wrapped = kind([1, 2])
    assert isinstance(wrapped, BaseAnnotation)
    assert wrapped.unwrap() == [1, 2]
    again = wrapped.rewrap("x")
    assert type(again) is kind and again.unwrap() == "x"
    assert repr(wrapped) == f"{kind.__name__}([1, 2])"
    assert pickle.loads(pickle.dumps(wrapped)) == wrapped


def test_equality_needs_same_kind():
    assert unmapped(1) == unmapped(1)
    assert unmapped(1) != allow_failure(1)
    assert unmapped(1) != 1
    assert hash(quote(1)) == hash(quote(1))
    with pytest.raises(TypeError):
        hash(quote([1]))


def test_unmapped_answers_every_index():
    value = unmapped([1, 2, 3])
    assert value[0] == value[99] == [1, 2, 3]


def test_quote_unquote_and_alias():
    assert quote({"a": 1}).unquote() == {"a": 1}
    assert Quote is quote
