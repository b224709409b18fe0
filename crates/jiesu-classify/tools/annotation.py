#!/usr/bin/env python3
"""The annotated messages of ../annotation: their agreement with the original labels, and the
CSV (title, detail, label) that `jiesu eval classify --annotated` and `compare --annotated` read.

    python3 crates/jiesu-classify/tools/annotation.py ../shared/data/teddy2020c /tmp/annotated.csv [--sure]

Standard library only. Prints the agreement on the hidden messages of the labelled file and the
class counts; writes the annotated messages of the 7 classes (OTHER left out) with their full
text from the challenge's attachments 3 and 4 (with --sure, only those marked sure).
"""
import collections
import csv
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "annotation")


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def main(data_dir, out_path, only_sure):
    agreement = read(os.path.join(HERE, "agreement.csv"))
    n = len(agreement)
    same = sum(r["label"] == r["annotated"] for r in agreement)
    sure = [r for r in agreement if r["sure"] == "1"]
    sure_same = sum(r["label"] == r["annotated"] for r in sure)
    print(f"agreement with the original labels on {n} hidden messages: {same / n:.3f}")
    print(f"  marked sure: {len(sure)} ({len(sure) / n:.0%}), agreement {sure_same / len(sure):.3f}")
    print(f"  marked unsure: {n - len(sure)}, agreement {(same - sure_same) / (n - len(sure)):.3f}")
    pairs = collections.Counter((r["label"], r["annotated"]) for r in agreement if r["label"] != r["annotated"])
    for (label, annotated), k in pairs.most_common(6):
        print(f"  {label} annotated as {annotated}: {k}")

    texts = {}
    for name in ("messages_with_replies.csv", "messages_with_votes.csv"):
        for r in read(os.path.join(data_dir, name)):
            texts[(name, r["id"])] = (r["title"].strip(), r["detail"].strip())
    labels = read(os.path.join(HERE, "labels.csv"))
    counts = collections.Counter(r["label"] for r in labels)
    print(f"{len(labels)} messages annotated: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    kept = 0
    with open(out_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["title", "detail", "label", "sure"])
        for r in labels:
            if r["label"] == "OTHER" or (only_sure and r["sure"] != "1"):
                continue
            title, detail = texts[(r["file"], r["id"])]
            w.writerow([title, detail, r["label"], r["sure"]])
            kept += 1
    print(f"{kept} messages of the 7 classes written to {out_path}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["--sure"]):
        sys.exit("usage: annotation.py DATA_DIR (teddy2020c) OUT.csv [--sure]")
    main(sys.argv[1], sys.argv[2], sys.argv[3:] == ["--sure"])
