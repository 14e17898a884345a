#!/usr/bin/env python3
"""Writes the stored embeddings of a papertide SQLite database as raw little-endian f32 rows
(384 per row, in paper-key order): the `--embeddings FILE` input of
`crates/papertide_search/examples/vector_bench.rs`.

    python3 bench/vectors_from_db.py DATA_DIR OUT.f32 [MODEL]
"""
import sqlite3
import sys


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    data_dir, out = sys.argv[1], sys.argv[2]
    model = sys.argv[3] if len(sys.argv) > 3 else "sentence-transformers/all-MiniLM-L6-v2"
    db = sqlite3.connect(f"file:{data_dir}/papertide.db?mode=ro", uri=True)
    rows = 0
    with open(out, "wb") as f:
        for (blob,) in db.execute(
            "SELECT vector FROM embeddings WHERE model = ? AND dim = 384 ORDER BY paper_pk", (model,)
        ):
            f.write(blob)
            rows += 1
    if rows == 0:
        sys.exit(f"no 384-dim embeddings of {model} in {data_dir}/papertide.db")
    print(f"wrote {rows} vectors to {out}")


if __name__ == "__main__":
    main()
