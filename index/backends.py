"""Inference backends for :class:`index.embedding.Embedder`: torch or OpenVINO.

- ``torch``: ``SentenceTransformer.encode`` on the fp32 checkpoint, as before.
- ``openvino``: the same checkpoint exported once to an OpenVINO IR (mean pooling and L2
  normalisation in the graph, dynamic batch and sequence length) and run by OpenVINO's CPU
  plugin at its default precision for the CPU: bf16 where the CPU has AMX or AVX512-BF16, fp32
  otherwise. Token ids still come from the sentence-transformers model's own tokenizer, so both
  backends see exactly the same input.

The export goes torch → ONNX (``torch.onnx.export``, TorchScript exporter) → OpenVINO
(``Core.read_model``; not ``openvino.convert_model``, which sends usage telemetry) → IR. It is
written into the model cache next to the checkpoint, in a folder keyed by the checkpoint's
checksum and :data:`EXPORT_VERSION`, built in a temporary sibling folder renamed into place, so
an interrupted export never leaves a half-written model and a new checkpoint gets a new export.

If the OpenVINO backend cannot be had (package missing, unsupported model, export or compile
failure) :func:`load_backend` prints one line on stderr and returns the torch backend.
Measured figures and the choice of default: ``python -m benchmarks.embed_backends``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.config import BACKENDS  # the accepted values of ``ModelConfig.backend``
from index.publish import publish_folder

#: Bumped whenever the exported graph changes, so old exports are not reused.
EXPORT_VERSION = 2  # 2: the token states are a second output

#: Tokenizer outputs the exported graph may take, in this order.
_GRAPH_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class BackendUnavailable(RuntimeError):
    """The requested backend cannot run this model on this machine."""


class TorchBackend:
    """``SentenceTransformer.encode`` on the fp32 checkpoint (the reference the others are measured against)."""

    name = "torch"
    precision = "f32"

    def __init__(self, model, batch_size: int):
        self.model = model
        self.batch_size = batch_size
        self.texts_per_call = batch_size  # what Embedder hands over at a time (a progress step)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors as :meth:`encode`, and each text's token states (the transformer's output before pooling).

        One forward pass: the model's pooling is the mean over all tokens, normalised, so the
        vector is that mean of the states it returns (padding already cut off)."""
        out = self.model.encode(texts, batch_size=self.batch_size, output_value="token_embeddings", convert_to_numpy=False)
        states = [np.asarray(t.float().numpy(), dtype=np.float32) for t in out]
        means = np.stack([t.mean(axis=0) for t in states]) if states else np.zeros((0, self.model.get_embedding_dimension()), np.float32)
        return means / np.linalg.norm(means, axis=1, keepdims=True), states


class OpenVINOBackend:
    """The exported IR on OpenVINO's CPU plugin, without padding; thread-safe.

    No text is padded: at bf16 a padded batch changes a text's vector by up to ~1e-3 per
    component depending on its batch-mates (the kernels follow the padded length), which would
    make an incremental index build differ from a full one. Only texts of exactly the same token
    length share a batch, so a text's vector depends on the text alone; throughput comes from
    running batches concurrently on the THROUGHPUT-hinted model (one stream per core, one thread
    each). A single text (a question) runs on the LATENCY-hinted model (all threads on one
    text). Both compile the same IR and give bit-identical vectors (tests/test_embedding_backends.py).
    """

    name = "openvino"

    def __init__(self, model, ir_dir: Path, batch_size: int, properties: dict[str, Any] | None = None):
        import openvino as ov

        meta = json.loads((ir_dir / "export.json").read_text(encoding="utf-8"))
        self.model = model  # the SentenceTransformer: its tokenizer makes the inputs
        self.batch_size = batch_size  # texts tokenized, and at most stacked, at a time
        # Many texts per call: more texts of one token length to stack, more batches in flight.
        self.texts_per_call = 8 * batch_size
        self.inputs: list[str] = meta["inputs"]
        self.ir_dir = ir_dir
        self.dim = int(model.get_embedding_dimension())
        common: dict[str, Any] = {}
        threads = torch_threads()
        if threads:
            common["INFERENCE_NUM_THREADS"] = threads
        common.update(properties or {})
        core = ov.Core()
        graph = core.read_model(ir_dir / "model.xml")
        # The throughput model shares the latency model's repacked weights (measured +50 MB, not +500 MB).
        self.latency = core.compile_model(graph, "CPU", {"PERFORMANCE_HINT": "LATENCY", **common})
        self.throughput = core.compile_model(graph, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT", **common})
        self.streams = int(self.throughput.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self.precision = self.latency.get_property("INFERENCE_PRECISION_HINT").to_string()  # "bf16", "f32"
        self._ov = ov
        self._local = threading.local()
        # pybind11 sets up its numpy bindings on OpenVINO's first inference; two threads doing
        # that first inference at once deadlock (one waits for the GIL inside the once-only set-up,
        # the other holds the GIL waiting for it), as seen with the chat window's or a test's
        # thread pool. Both models' first inference therefore happens here, on one thread.
        self.encode(["query: ok"])
        self.encode(["query: ok", "query: ok"])

    def _latency_request(self):
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.latency.create_infer_request()
        return request

    def _queue(self):
        queue = getattr(self._local, "queue", None)
        if queue is None:
            queue = self._local.queue = self._ov.AsyncInferQueue(self.throughput, self.streams)
        return queue

    def features(self, texts: list[str]) -> list[dict[str, np.ndarray]]:
        """Each text's token ids (the sentence-transformers tokenizer's, padding removed), batch of one."""
        feats = self.model.preprocess(texts)
        mask = feats["attention_mask"].numpy().astype(bool)
        arrays = {k: np.asarray(feats[k].numpy(), dtype=np.int64) for k in self.inputs}
        return [{k: np.ascontiguousarray(v[i][mask[i]])[None, :] for k, v in arrays.items()} for i in range(len(texts))]

    def batches(self, texts: list[str]) -> list[tuple[list[int], dict[str, np.ndarray]]]:
        """Texts of exactly the same token length, stacked (no padding), longest first, at most batch_size each.

        Measured on every passage, sentence and word of the bundled letters: the same vectors, to the
        bit, as one text at a time; short texts (words) need batches, one inference each is slower
        than torch.
        """
        groups: dict[int, list[tuple[int, dict[str, np.ndarray]]]] = {}
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            for offset, feats in enumerate(self.features(chunk)):
                groups.setdefault(feats["input_ids"].shape[1], []).append((start + offset, feats))
        out = []
        for length in sorted(groups, reverse=True):
            members = groups[length]
            for i in range(0, len(members), self.batch_size):
                part = members[i : i + self.batch_size]
                out.append(([row for row, _ in part], {k: np.concatenate([f[k] for _, f in part]) for k in self.inputs}))
        return out

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, tokens=False)[0]

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors as :meth:`encode`, and each text's token states (the transformer's output before pooling)."""
        return self._run(texts, tokens=True)

    def _run(self, texts: list[str], tokens: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        states: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        if len(texts) == 1:
            result = self._latency_request().infer(self.features(texts)[0])
            out[0] = result[0][0]
            if tokens:
                states[0] = np.array(result[1][0], dtype=np.float32)
            return out, states
        if not texts:
            return out, states
        queue = self._queue()

        def done(request, rows):
            out[rows] = request.get_output_tensor(0).data
            if tokens:
                batch = request.get_output_tensor(1).data  # no padding: every row is the text's own tokens
                for i, row in enumerate(rows):
                    states[row] = np.array(batch[i], dtype=np.float32)

        queue.set_callback(done)
        for rows, feats in self.batches(texts):
            queue.start_async(feats, rows)
        queue.wait_all()
        return out, states


def torch_threads() -> int | None:
    """The intra-op threads torch uses here, so both backends are compared on the same cores."""
    try:
        import torch

        return int(torch.get_num_threads())
    except Exception:  # pragma: no cover - torch is a dependency
        return None


def _check_exportable(model) -> None:
    """Raise BackendUnavailable unless the model is transformer → mean pooling (→ normalise)."""
    names = [type(module).__name__ for module in model]
    if len(names) < 2 or names[0] != "Transformer" or names[1] != "Pooling" or any(n != "Normalize" for n in names[2:]):
        raise BackendUnavailable(f"only transformer + mean pooling models can be exported (this one: {' → '.join(names)})")
    pooling = model[1]
    mode = pooling.pooling_mode if isinstance(pooling.pooling_mode, str) else tuple(pooling.pooling_mode)
    if mode not in ("mean", ("mean",)) or not getattr(pooling, "include_prompt", True):
        raise BackendUnavailable(f"only mean pooling over all tokens can be exported (this model: {mode})")


def export_dir(cache_dir: Path, path: str, fingerprint: str) -> Path:
    """Where the OpenVINO export of the checkpoint at ``path`` (with this checksum) lives."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(path).name or "model").strip("-") or "model"
    return Path(cache_dir) / f"{stem}.openvino-v{EXPORT_VERSION}-{fingerprint[:16]}"


def ensure_openvino_export(model, path: str, fingerprint: str, cache_dir: Path) -> Path:
    """The IR folder for this checkpoint, exporting it once if missing (atomically)."""
    target = export_dir(cache_dir, path, fingerprint)
    if (target / "export.json").is_file():
        return target
    _check_exportable(model)
    import openvino as ov

    print(f"Exporting the embedding model for OpenVINO (once) into {target}", file=sys.stderr)
    with publish_folder(target, "export.json", prefix=".exporting-") as tmp:
        inputs = _export_onnx(model, tmp / "model.onnx")
        ov_model = ov.Core().read_model(tmp / "model.onnx")
        # Full-precision weights: the CPU plugin chooses bf16 or fp32 at compile time.
        ov.save_model(ov_model, tmp / "model.xml", compress_to_fp16=False)
        del ov_model
        (tmp / "model.onnx").unlink()
        meta = {
            "inputs": inputs,
            "checkpoint": str(path),
            "checksum": fingerprint,
            "export_version": EXPORT_VERSION,
            "openvino": ov.__version__ if hasattr(ov, "__version__") else ov.get_version(),
        }
        (tmp / "export.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return target


def _export_onnx(model, out: Path) -> list[str]:
    """Export transformer + mean pooling + L2 normalisation as one ONNX graph, with the token states
    before pooling as a second output; returns its input names."""
    import torch

    encoder = model[0].auto_model
    sample = model.preprocess(["passage: a", "passage: een langere zin om op te vullen"])  # two lengths: padding
    inputs = [k for k in _GRAPH_INPUTS if k in sample]

    class Pooled(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, *tensors):
            feats = dict(zip(inputs, tensors))
            hidden = self.encoder(**feats).last_hidden_state
            mask = feats["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1), hidden

    import warnings

    dynamic = {name: {0: "batch", 1: "sequence"} for name in inputs}
    dynamic["embedding"] = {0: "batch"}
    dynamic["tokens"] = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on constant shape checks; checked by the tests
        torch.onnx.export(
            Pooled(encoder).eval(),
            tuple(sample[k] for k in inputs),
            str(out),
            input_names=inputs,
            output_names=["embedding", "tokens"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    return inputs


def load_backend(name: str, model, path: str, fingerprint: str, cache_dir: Path, batch_size: int):
    """The backend called ``name`` for this model, or torch (with one line on stderr) if it cannot run."""
    if name not in BACKENDS:
        raise ValueError(f"unknown embedding backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name == "openvino":
        try:
            return OpenVINOBackend(model, ensure_openvino_export(model, path, fingerprint, cache_dir), batch_size)
        except Exception as exc:  # ImportError, BackendUnavailable, export or compile errors: all mean "use torch"
            if isinstance(exc, ImportError):
                reason = f"package {exc.name or 'openvino'!r} is not installed"
            else:
                reason = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
            print(f"warning: embedding backend 'openvino' unavailable ({reason}); using torch", file=sys.stderr)
    return TorchBackend(model, batch_size)
