#!/usr/bin/env python3
"""Throughput of sentence-transformers (PyTorch, CPU) on the texts embed_bench.rs uses.

Baseline for crates/papertide_search/examples/embed_bench.rs: same model directory, same
texts (first N records; title + ". " + abstract), same thread count, max_seq_length 256.

    python3 -m venv .venv && .venv/bin/pip install torch sentence-transformers
    .venv/bin/python crates/papertide_search/scripts/bench_embed_st.py \
        [--input FILE] [-n 2000] [--batch-size 32] [--threads 2] [--compare VECTORS.f32]

--compare reads the raw little-endian f32 vectors written by
`embed_bench --save-vectors` and prints how far they are from these.
"""

import argparse
import json
import lzma
import os
import time
from pathlib import Path

CRATE = Path(__file__).resolve().parent.parent
WORKSPACE = CRATE.parent.parent
DEFAULT_INPUT = WORKSPACE.parent / "shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
DEFAULT_MODEL = Path(os.environ.get("PAPERTIDE_MODEL_DIR") or WORKSPACE / "models/all-MiniLM-L6-v2")


def read_texts(path: Path, n: int) -> list[str]:
    opener = lzma.open if path.suffix == ".xz" else open
    texts = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if len(texts) == n:
                break
            record = json.loads(line)
            if "text" in record:
                texts.append(record["text"])
            else:
                texts.append(f"{record['title']}. {record['abstract']}")
    return texts


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    texts = read_texts(args.input, args.n)
    started = time.perf_counter()
    model = SentenceTransformer(str(args.model), device="cpu")
    load_s = time.perf_counter() - started
    rss_after_load = peak_rss_mib()
    assert model.max_seq_length == 256, model.max_seq_length

    model.encode(texts[: args.batch_size], batch_size=args.batch_size)  # warm-up
    cpu_started = time.process_time()
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
    secs = time.perf_counter() - started
    cpu = time.process_time() - cpu_started

    print(
        f"st      texts {len(texts)}  batch {args.batch_size}  threads {torch.get_num_threads()}"
        f"  torch {torch.__version__}  max_len {model.max_seq_length}"
    )
    print(
        f"st      {len(texts) / secs:.2f} abstracts/s  ({secs:.2f} s wall, {cpu:.1f} s CPU)  load {load_s:.2f} s"
        f"  peak RSS {peak_rss_mib():.0f} MiB (after load {rss_after_load:.0f} MiB)"
    )
    if args.compare:
        import numpy as np

        other = np.fromfile(args.compare, dtype="<f4").reshape(vectors.shape)
        diff = np.abs(other - vectors)
        cos = (other * vectors).sum(axis=1)
        print(
            f"compare max|d| {diff.max():.2e}  mean|d| {diff.mean():.2e}  min cosine {cos.min():.7f}"
        )


if __name__ == "__main__":
    main()
