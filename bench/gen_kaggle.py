#!/usr/bin/env python3
"""Writes a synthetic Kaggle `arxiv-metadata-oai-snapshot` JSON Lines file of N records.

Records are resampled from the 26,809 real daily-listing papers (titles, abstracts, authors,
categories) and given the Kaggle shape (authors string + authors_parsed, versions with RFC 2822
dates, update_date, doi/journal-ref on some). Ids are unique: YYMM.NNNNN over 2015-01 onward,
so any N up to several million is fine. Deterministic for a given N (seeded).

usage: gen_kaggle.py N OUT.jsonl [DAILY.jsonl.xz]
"""
import json
import lzma
import random
import sys
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

n = int(sys.argv[1])
out = sys.argv[2]
daily = sys.argv[3] if len(sys.argv) > 3 else "../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
rng = random.Random(n)
with lzma.open(daily, "rt", encoding="utf-8") as f:
    base = [json.loads(line) for line in f]

with open(out, "w", encoding="utf-8") as w:
    for i in range(n):
        src = base[rng.randrange(len(base))]
        month = i // 99999
        yy, mm = 15 + month // 12, 1 + month % 12
        pid = f"{yy:02d}{mm:02d}.{i % 99999 + 1:05d}"
        created = datetime(2000 + yy, mm, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(27 * 86400))
        versions = [{"version": "v1", "created": format_datetime(created, usegmt=True)}]
        for v in range(2, 2 + rng.choice([0, 0, 0, 1, 2])):
            created += timedelta(days=rng.randrange(1, 90))
            versions.append({"version": f"v{v}", "created": format_datetime(created, usegmt=True)})
        parsed = []
        for a in src["authors"]:
            parts = a.rsplit(" ", 1)
            parsed.append([parts[-1], parts[0] if len(parts) > 1 else "", ""])
        rec = {
            "id": pid,
            "submitter": src["authors"][0] if src["authors"] else None,
            "authors": ", ".join(src["authors"]),
            "title": src["title"],
            "comments": src.get("comment"),
            "journal-ref": None,
            "doi": f"10.5555/{pid}" if rng.random() < 0.3 else None,
            "report-no": None,
            "categories": " ".join(src["categories"]),
            "license": "http://creativecommons.org/licenses/by/4.0/",
            "abstract": "  " + src["abstract"] + "\n",
            "versions": versions,
            "update_date": created.strftime("%Y-%m-%d"),
            "authors_parsed": parsed,
        }
        w.write(json.dumps(rec, ensure_ascii=False) + "\n")
