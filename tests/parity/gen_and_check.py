#!/usr/bin/python3
"""gen_and_check.py -- dojo's metric kernels against scikit-learn 1.2 / scipy (and, for the
Kaggle metrics those libraries lack, against straightforward Python written here from the
Kaggle definitions).

Run by tests/parity/run, which builds the C driver (parity_driver.c) first:

    gen_and_check.py --driver PATH --tmp DIR [--cases N] [--seed S] [--only METRIC,...]

For every metric it generates N seeded random cases (sizes 1..100k, most small; heavy ties;
extreme probabilities such as 1e-300 and 1 - 1e-16; up to 50 classes; sample weights where
scikit-learn takes them; degenerate and invalid inputs), writes them all into one binary
file, lets the driver compute dojo's values in one process, computes the reference values
(two worker processes), and prints TAP: one "ok N - METRIC (N cases)" line per metric, or
"not ok" with the first differing cases. A value matches when
|dojo - ref| <= 1e-9 * max(1, |ref|); a case where the reference raises (or returns NaN for
an undefined value) must be an error in dojo too, and vice versa. Where dojo is stricter
than scikit-learn by design (answers outside {0, 1}, probabilities outside [0, 1], ids out of
range), the reference says so explicitly ("dojo rule").
"""
import argparse
import math
import os
import random
import struct
import subprocess
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

NUMERIC, LABELS, PROBA, TEXT = 1, 2, 3, 4
ERROR = "ERROR"
TOL = 1e-9

DEFAULT_PARAMS = dict(eps=1e-15, k=0, pos_label=1, nclasses=0, average=0, renormalize=1,
                      height=0, width=0, zero_division=0.0)
AVERAGES = ["binary", "macro", "micro", "weighted", "samples"]


# ---------------------------------------------------------------------------------------
# random inputs
# ---------------------------------------------------------------------------------------

def nsize(rng, cap=100000):
    r = rng.random()
    if r < 0.55:
        n = int(rng.integers(1, 21))
    elif r < 0.85:
        n = int(rng.integers(21, 501))
    elif r < 0.97:
        n = int(rng.integers(501, 10001))
    else:
        n = int(rng.integers(10001, 100001))
    return min(n, cap)


def real_values(rng, shape):
    mode = int(rng.integers(0, 7))
    if mode == 0:
        return rng.normal(0, 1, shape)
    if mode == 1:
        return rng.integers(0, 5, shape).astype(float)          # heavy ties
    if mode == 2:
        return np.exp(rng.normal(0, 3, shape))                    # wide positive range
    if mode == 3:
        return rng.uniform(-1e6, 1e6, shape)
    if mode == 4:
        return np.round(rng.normal(0, 1, shape), 1)
    if mode == 5:
        return rng.normal(0, 1, shape) * (rng.random(shape) < 0.6)  # many zeros
    return rng.uniform(0, 1, shape) * 1e-3


def predictions_near(rng, y):
    mode = int(rng.integers(0, 4))
    if mode == 0:
        return y + rng.normal(0, 1, y.shape) * (np.std(y) + 1e-3)
    if mode == 1:
        return real_values(rng, y.shape)
    if mode == 2:
        return np.round(y + rng.normal(0, 0.5, y.shape))
    return y.copy() if rng.random() < 0.3 else y + rng.normal(0, 1e-6, y.shape)


def weights(rng, n, allow_zero_sum=False):
    mode = int(rng.integers(0, 4))
    if mode == 0:
        w = rng.uniform(0, 2, n)
    elif mode == 1:
        w = rng.integers(0, 4, n).astype(float)
    elif mode == 2:
        w = rng.exponential(1, n)
    else:
        w = rng.uniform(0.5, 1.5, n)
    if allow_zero_sum and rng.random() < 0.05:
        w[:] = 0
    elif w.sum() == 0:
        w[0] = 1.0
    return w


def maybe_weights(rng, n, p=0.4, allow_zero_sum=False):
    return weights(rng, n, allow_zero_sum) if rng.random() < p else None


def inject_nonfinite(rng, y, p, prob=0.03):
    if rng.random() < prob:
        a = y if rng.random() < 0.5 else p
        a.flat[int(rng.integers(0, a.size))] = [np.nan, np.inf, -np.inf][int(rng.integers(0, 3))]


def probabilities(rng, shape):
    mode = int(rng.integers(0, 6))
    if mode == 0:
        p = rng.random(shape)
    elif mode == 1:
        p = np.round(rng.random(shape), 1)                       # ties, exact 0 and 1
    elif mode == 2:
        p = 1.0 / (1.0 + np.exp(-rng.normal(0, 15, shape)))      # extremes, 0 and 1 exactly
    elif mode == 3:
        p = rng.random(shape)
        m = rng.random(shape)
        p[m < 0.1] = 1e-300
        p[(m >= 0.1) & (m < 0.2)] = 1 - 1e-16
        p[(m >= 0.2) & (m < 0.25)] = 0.0
        p[(m >= 0.25) & (m < 0.3)] = 1.0
        p[(m >= 0.3) & (m < 0.35)] = 5e-324
    elif mode == 4:
        p = rng.integers(0, 3, shape) / 2.0
    else:
        p = rng.beta(0.2, 0.2, shape)
    return p


def binary_answers(rng, shape):
    r = rng.random()
    if r < 0.05:
        return np.zeros(shape)
    if r < 0.08:
        return np.ones(shape)
    return (rng.random(shape) < rng.uniform(0.05, 0.95)).astype(float)


def scores(rng, shape, y):
    mode = int(rng.integers(0, 5))
    if mode == 0:
        return rng.random(shape) + 0.3 * y
    if mode == 1:
        return np.round(rng.random(shape) + 0.3 * y, 1)            # heavy ties
    if mode == 2:
        return rng.integers(0, 3, shape).astype(float)
    if mode == 3:
        return rng.normal(0, 1e-300, shape) + 1e-300 * y           # tiny scale
    return np.full(shape, 0.5) if rng.random() < 0.5 else probabilities(rng, shape)


# ---------------------------------------------------------------------------------------
# case generators: each returns dict(kind, y, p, w, k, params)
# ---------------------------------------------------------------------------------------

def case(kind, y, p, w=None, ncols=1, **params):
    prm = dict(DEFAULT_PARAMS)
    prm.update(params)
    return dict(kind=kind, y=y, p=p, w=w, k=ncols, params=prm)


def gen_regression(metric):
    weighted = metric not in ("smape", "rmspe")
    column_wise = metric in ("mcrmse", "mcrmsle")

    def gen(rng):
        n = nsize(rng)
        k = 1 if rng.random() < (0.4 if column_wise else 0.75) else int(rng.integers(2, 7))
        y = real_values(rng, (n, k))
        if metric in ("rmsle", "mcrmsle"):
            y = np.abs(y)
        if metric == "r2" and rng.random() < 0.08:
            y[:] = float(rng.integers(-3, 4))                       # constant answers
        p = predictions_near(rng, y)
        if metric in ("rmsle", "mcrmsle"):
            p = np.abs(p)
            if rng.random() < 0.05:
                p.flat[int(rng.integers(0, p.size))] = -0.5          # sklearn raises
        if metric == "rmspe" and rng.random() < 0.05:
            y[:] = 0
        if metric == "smape" and rng.random() < 0.2:
            z = rng.random((n, k)) < 0.3
            y[z] = 0
            p[z] = 0
        inject_nonfinite(rng, y, p)
        w = maybe_weights(rng, n, allow_zero_sum=metric != "medae") if weighted else None
        return case(NUMERIC, y, p, w, k)
    return gen


def gen_binary_scores(metric):
    column_wise = metric in ("roc_auc_mean_columns", "macro_average_precision",
                             "log_loss_mean_columns")

    def gen(rng):
        n = nsize(rng)
        k = int(rng.integers(2, 7)) if (column_wise and rng.random() < 0.7) else \
            (1 if rng.random() < 0.8 else int(rng.integers(2, 5)))
        y = binary_answers(rng, (n, k))
        if metric.startswith("log_loss"):
            p = probabilities(rng, (n, k))
            if rng.random() < 0.04:
                p.flat[int(rng.integers(0, p.size))] = [1.5, -0.1][int(rng.integers(0, 2))]
        else:
            p = scores(rng, (n, k), y)
        if rng.random() < 0.02:
            y.flat[int(rng.integers(0, y.size))] = 2.0               # not a 0/1 answer
        inject_nonfinite(rng, y, p, 0.02)
        w = maybe_weights(rng, n)
        prm = {}
        if metric.startswith("log_loss"):
            prm["eps"] = [1e-15, 1e-15, 1e-7, 1e-3, 0.0][int(rng.integers(0, 5))]
            if prm["eps"] == 0.0:
                w = None
            prm["renormalize"] = int(rng.random() < 0.8)
        return case(NUMERIC, y, p, w, k, **prm)
    return gen


def gen_curves(metric):
    """The catalog's curve metrics: weighted_auc_* (one column), lwlrap (2..8 label columns);
    no sample weights."""
    def gen(rng):
        n = nsize(rng, 20000)
        k = int(rng.integers(2, 9)) if metric == "lwlrap" else 1
        y = binary_answers(rng, (n, k))
        p = scores(rng, (n, k), y)
        if rng.random() < 0.02:
            y.flat[int(rng.integers(0, y.size))] = 2.0               # not a 0/1 answer
        inject_nonfinite(rng, y, p, 0.02)
        return case(NUMERIC, y, p, None, k)
    return gen


def gen_gini(rng):
    n = nsize(rng)
    k = 1 if rng.random() < 0.85 else int(rng.integers(2, 4))
    mode = int(rng.integers(0, 3))
    if mode == 0:            # 0/1 answers: 2 AUC - 1
        y = binary_answers(rng, (n, k))
        p = scores(rng, (n, k), y)
    elif mode == 1:          # real answers, tie-free predictions: Kaggle's code exactly
        y = np.abs(real_values(rng, (n, k)))
        p = rng.permutation(n * k).reshape(n, k) + rng.random((n, k)) * 0.5
    else:                    # real answers, tied predictions
        y = np.round(np.abs(real_values(rng, (n, k))), 2)
        p = rng.integers(0, max(2, n // 3), (n, k)).astype(float)
    inject_nonfinite(rng, y, p, 0.02)
    c = case(NUMERIC, y, p, None, k)
    c["gini_mode"] = mode
    return c


def gen_correlation(metric):
    def gen(rng):
        n = nsize(rng)
        if rng.random() < 0.05:
            n = int(rng.integers(1, 3))
        column_wise = metric == "spearman_mean_columns"
        k = int(rng.integers(2, 6)) if (column_wise and rng.random() < 0.7) else \
            (1 if rng.random() < 0.85 else int(rng.integers(2, 4)))
        y = real_values(rng, (n, k))
        p = predictions_near(rng, y)
        if rng.random() < 0.06:
            (y if rng.random() < 0.5 else p)[:, int(rng.integers(0, k))] = 1.25   # constant
        inject_nonfinite(rng, y, p, 0.02)
        return case(NUMERIC, y, p, None, k)
    return gen


def gen_kl(rng):
    n = nsize(rng)
    k = int(rng.integers(2, 8))
    y = rng.integers(0, 6, (n, k)).astype(float)
    if rng.random() < 0.5:
        y = y / np.maximum(y.sum(axis=1, keepdims=True), 1)
    if rng.random() < 0.1:
        y[0, :] = 0
    p = probabilities(rng, (n, k))
    if rng.random() < 0.5:
        p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-300)
        p = np.clip(p, 0, 1)
    if rng.random() < 0.03:
        p.flat[int(rng.integers(0, p.size))] = 1.25
    if rng.random() < 0.03:
        y.flat[int(rng.integers(0, y.size))] = -1
    inject_nonfinite(rng, y, p, 0.02)
    eps = [1e-15, 1e-15, 1e-6][int(rng.integers(0, 3))]
    return case(NUMERIC, y, p, maybe_weights(rng, n), k, eps=eps)


def label_ids(rng, n):
    mode = int(rng.integers(0, 5))
    m = int(rng.integers(1, 51))
    if mode == 0:
        classes = np.arange(m)
    elif mode == 1:
        classes = np.sort(rng.choice(1000, size=m, replace=False))     # sparse ids
    elif mode == 2:
        classes = np.sort(rng.choice(10 ** 6, size=m, replace=False)) + 10 ** 12  # huge ids
    elif mode == 3:
        classes = np.arange(2)
    else:
        classes = np.arange(min(m, 5))
    probs = rng.dirichlet(np.ones(len(classes)) * 0.7)
    y = rng.choice(classes, size=n, p=probs)
    r = rng.random()
    if r < 0.5:
        p = np.where(rng.random(n) < 0.6, y, rng.choice(classes, size=n))
    elif r < 0.9:
        p = rng.choice(classes, size=n)
    else:
        p = np.full(n, classes[0])
    return y.astype(np.int64), p.astype(np.int64)


def gen_labels(metric):
    def gen(rng):
        n = nsize(rng)
        y, p = label_ids(rng, n)
        prm = {}
        if metric in ("f1", "precision", "recall"):
            prm["average"] = [0, 0, 1, 2, 3, 4][int(rng.integers(0, 6))]
            if prm["average"] == 0 and rng.random() < 0.7:
                y = (y % 2).astype(np.int64)
                p = (p % 2).astype(np.int64)
            prm["pos_label"] = [1, 1, 0, 2][int(rng.integers(0, 4))]
        if metric in ("f1", "precision", "recall", "f1_macro", "f1_micro", "f1_weighted"):
            prm["zero_division"] = float(rng.integers(0, 2))
        r = rng.random()
        if r < 0.1:
            prm["nclasses"] = int(max(y.max(), p.max()) + 1 + rng.integers(0, 3))
        elif r < 0.13:
            prm["nclasses"] = int(max(1, max(y.max(), p.max())))            # too small: error
        w = maybe_weights(rng, n, allow_zero_sum=True)
        return case(LABELS, y, p, w, 1, **prm)
    return gen


def gen_proba(metric):
    def gen(rng):
        n = nsize(rng, 50000)
        k = int(rng.integers(2, 51)) if rng.random() < 0.7 else int(rng.integers(2, 5))
        if rng.random() < 0.02:
            k = 1
        y = rng.integers(0, k, n).astype(np.int64)
        P = probabilities(rng, (n, k))
        if rng.random() < 0.5:
            P = P / np.maximum(P.sum(axis=1, keepdims=True), 1e-300)
            P = np.clip(P, 0, 1)
        if rng.random() < 0.03:
            P.flat[int(rng.integers(0, P.size))] = [1.5, -0.25, np.nan][int(rng.integers(0, 3))]
        if rng.random() < 0.02:
            y[int(rng.integers(0, n))] = k
        prm = dict(eps=[1e-15, 1e-15, 1e-7, 1e-2][int(rng.integers(0, 4))],
                   renormalize=int(rng.random() < 0.7))
        w = maybe_weights(rng, n) if metric == "log_loss_multiclass" else None
        return case(PROBA, y, P, w, k, **prm)
    return gen


# ---- text ------------------------------------------------------------------------------

SPACES = [" ", " ", " ", "  ", "\t", "\n", "\u3000", "\xa0", "\u2003", "\x1f"]
LABEL_VOCAB = ["a", "b", "c", "d", "e", "f", "lbl1", "lbl2", "0", "1", "12", "x_y", "é", "日本",
               "ünï", "Q", "q", "Δ", "Ж", "tag-3", "tag-4", "zz"]
WORD_VOCAB = ["The", "the", "THE", "cat", "Cat", "sat", "on", "mat", "MAT.", "ÉCOLE", "école",
              "Über", "über", "ПРИВЕТ", "привет", "ΑΛΦΑ", "αλφα", "İstanbul", "i̇stanbul", "Ÿes",
              "ÿes", "naïve", "NAÏVE", "हिन्दी", "தமிழ்", "a", "A", "!", "dog", "DoG", "Ǆ"]


def join_tokens(r, toks):
    """Joins tokens with assorted whitespace (r: a random.Random, fast for scalar draws)."""
    if not toks:
        return "" if r.random() < 0.7 else r.choice(SPACES)
    out = []
    if r.random() < 0.1:
        out.append(r.choice(SPACES))
    for i, t in enumerate(toks):
        if i:
            out.append(" " if r.random() < 0.7 else r.choice(SPACES))
        out.append(t)
    if r.random() < 0.1:
        out.append(r.choice(SPACES))
    return "".join(out)


def text_case(ys, ps, **prm):
    return case(TEXT, ys, ps, None, 1, **prm)


def pyrng(rng):
    return random.Random(int(rng.integers(0, 2 ** 62)))


def gen_label_lists(metric):
    def gen(rng):
        n = nsize(rng, 1000)
        r = pyrng(rng)
        vocab = LABEL_VOCAB[: r.randrange(2, len(LABEL_VOCAB) + 1)]
        ys, ps = [], []
        for _ in range(n):
            ny = r.randrange(0, 4) if r.random() < 0.9 else r.randrange(0, 15)
            yt = [r.choice(vocab) for _ in range(ny)]
            pt = [r.choice(vocab) for _ in range(r.randrange(0, 13))]
            if yt and r.random() < 0.5:
                pt.insert(r.randrange(0, len(pt) + 1), yt[0])
            ys.append(join_tokens(r, yt))
            ps.append(join_tokens(r, pt))
        prm = {}
        if metric in ("map_at_k", "apk"):
            prm["k"] = r.choice([0, 1, 3, 5, 12])
        elif metric == "ndcg_at_k":
            prm["k"] = r.choice([0, 1, 3, 5, 10])
        return text_case(ys, ps, **prm)
    return gen


def gen_words(rng):
    n = nsize(rng, 1000)
    r = pyrng(rng)
    ys, ps = [], []
    for _ in range(n):
        yt = [r.choice(WORD_VOCAB) for _ in range(r.randrange(0, 8))]
        if r.random() < 0.4:
            pt = [w.upper() if r.random() < 0.2 else w for w in yt if r.random() < 0.7]
        else:
            pt = [r.choice(WORD_VOCAB) for _ in range(r.randrange(0, 8))]
        ys.append(join_tokens(r, yt))
        ps.append(join_tokens(r, pt))
    return text_case(ys, ps)


LEV_ALPHABETS = ["ab", "abcdefgh", "ACGT", "InChI=1S/C6H12O6/c7-1-2-3(8)4(9)5(10)6(11)12",
                 "aéü日本 ", "xyz0123456789/=-(),"]


def gen_levenshtein(rng):
    r = pyrng(rng)
    alpha = r.choice(LEV_ALPHABETS)
    long = r.random() < 0.08
    n = r.randrange(1, 4) if long else min(nsize(rng, 300), 300)
    ys, ps = [], []
    for _ in range(n):
        L = r.randrange(60, 260) if long else r.randrange(0, 40)
        a = "".join(r.choice(alpha) for _ in range(L))
        if r.random() < 0.5:   # a few edits
            b = list(a)
            for _e in range(r.randrange(0, 6)):
                op, pos = r.randrange(0, 3), r.randrange(0, len(b) + 1)
                if op == 0:
                    b.insert(pos, r.choice(alpha))
                elif b and pos < len(b):
                    if op == 1:
                        del b[pos]
                    else:
                        b[pos] = r.choice(alpha)
            b = "".join(b)
        else:
            L2 = r.randrange(60, 260) if long else r.randrange(0, 40)
            b = "".join(r.choice(alpha) for _ in range(L2))
        ys.append(a)
        ps.append(b)
    return text_case(ys, ps)


def rle_of(runs):
    return " ".join(f"{a} {l}" for a, l in runs)


def random_runs(r, npix):
    """Sorted disjoint runs (1-based start, length) covering a random part of npix pixels."""
    if r.random() < 0.2:
        return []
    cuts = sorted(set(r.randrange(1, npix + 2) for _ in range(2 * r.randrange(1, 6))))
    runs = []
    for i in range(0, len(cuts) - 1, 2):
        runs.append((cuts[i], cuts[i + 1] - cuts[i]))
    return runs


def perturb_runs(r, runs, npix):
    out = []
    for a, l in runs:
        if r.random() < 0.15:
            continue
        a2 = min(max(1, a + r.randrange(-3, 4)), npix)
        l2 = max(1, min(l + r.randrange(-3, 4), npix - a2 + 1))
        out.append((a2, l2))
    return out


def messy(r, runs):
    """The same pixel set, written unsorted / with overlapping runs / odd spacing."""
    runs = list(runs)
    x = r.random()
    if x < 0.15:
        r.shuffle(runs)
    elif x < 0.25 and runs:
        a, l = runs[0]
        runs.append((a, max(1, l // 2)))                             # overlap
    return join_tokens(r, [f"{a} {l}" for a, l in runs])


def gen_masks(metric):
    def gen(rng):
        r = pyrng(rng)
        if metric == "iou_map" and r.random() < 0.5:
            h, w = 101, 101
        else:
            h, w = r.randrange(1, 60), r.randrange(1, 60)
        npix = h * w
        n = nsize(rng, 300)
        ys, ps = [], []
        for _ in range(n):
            a = random_runs(r, npix)
            if r.random() < 0.5:
                b = perturb_runs(r, a, npix)
            elif r.random() < 0.3:
                b = list(a)
            else:
                b = random_runs(r, npix)
            ys.append(messy(r, a))
            ps.append(messy(r, b))
        if r.random() < 0.05:
            bad = ["1 2 3", "0 4", "3 0", f"{npix} 2", "1 x", "-1 2", "1.5 2"]
            ps[r.randrange(0, n)] = r.choice(bad)
        set_shape = metric == "iou_map" or r.random() < 0.7
        return text_case(ys, ps, height=h if set_shape else 0, width=w if set_shape else 0)
    return gen


def fmt_num(r, v):
    x = r.random()
    if x < 0.5:
        return str(int(round(v)))
    if x < 0.8:
        return repr(float(v))
    return f"{v:.3f}"


def gen_boxes(rng):
    n = nsize(rng, 200)
    r = pyrng(rng)
    ys, ps = [], []
    for _ in range(n):
        ng = r.randrange(0, 8) if r.random() < 0.9 else 0
        gts = [[r.uniform(0, 100), r.uniform(0, 100), r.uniform(0, 40), r.uniform(0, 40)]
               for _g in range(ng)]
        if r.random() < 0.5:
            gts = [[round(v) for v in g] for g in gts]
        preds = []
        for g in gts:
            if r.random() < 0.8:
                j = [r.gauss(0, 2), r.gauss(0, 2), r.gauss(0, 3), r.gauss(0, 3)] \
                    if r.random() < 0.7 else [0, 0, 0, 0]
                b = [g[0] + j[0], g[1] + j[1], max(0.0, g[2] + j[2]), max(0.0, g[3] + j[3])]
                preds.append([r.choice([0.5, 0.9, r.random()])] + b)
        for _f in range(r.randrange(0, 4)):
            preds.append([r.random(), r.uniform(0, 100), r.uniform(0, 100), r.uniform(0, 40),
                          r.uniform(0, 40)])
        r.shuffle(preds)
        ys.append(join_tokens(r, [" ".join(["1.0"] + [fmt_num(r, v) for v in g]) for g in gts]))
        ps.append(join_tokens(r, [" ".join([repr(b[0])] + [fmt_num(r, v) for v in b[1:]])
                                  for b in preds]))
    if r.random() < 0.04:
        ps[r.randrange(0, n)] = r.choice(["0.5 1 2 3", "0.5 1 2 3 x", "0.5 1 2 -3 4"])
    return text_case(ys, ps)


# ---------------------------------------------------------------------------------------
# references (run in worker processes)
# ---------------------------------------------------------------------------------------

def finite(c):
    return np.all(np.isfinite(c["y"])) and np.all(np.isfinite(c["p"]))


def flat(c):
    y, p = np.asarray(c["y"]).ravel(), np.asarray(c["p"]).ravel()
    w = None if c["w"] is None else np.repeat(c["w"], c["k"])
    return y, p, w


def one_d(a):
    a = np.asarray(a)
    return a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a


def ref_regression(metric, c):
    from sklearn import metrics as M
    if not finite(c):
        return ERROR
    y, p, w = flat(c)
    Y, P = one_d(c["y"]), one_d(c["p"])
    if metric == "mse":
        return M.mean_squared_error(y, p, sample_weight=w)
    if metric == "rmse":
        return math.sqrt(M.mean_squared_error(y, p, sample_weight=w))
    if metric == "mae":
        return M.mean_absolute_error(y, p, sample_weight=w)
    if metric == "mape":
        return M.mean_absolute_percentage_error(y, p, sample_weight=w)
    if metric == "medae":
        return M.median_absolute_error(y, p, sample_weight=w)
    if metric == "r2":
        v = M.r2_score(y, p, sample_weight=w)
        if len(y) >= 2 and np.all(y == y[0]):
            # constant answers: sklearn's rule (1.0 if perfect, else 0.0), decided by dojo
            # from exact equality; sklearn tests a floating denominator, which numpy's
            # weighted mean of a repeated value can leave at 1e-30 instead of 0.
            return 1.0 if np.all(p == y) else 0.0
        return v
    if metric == "rmsle":
        return math.sqrt(M.mean_squared_log_error(y, p, sample_weight=w))
    if metric == "mcrmse":
        return M.mean_squared_error(Y, P, sample_weight=c["w"], squared=False)
    if metric == "mcrmsle":
        return M.mean_squared_log_error(Y, P, sample_weight=c["w"], squared=False)
    if metric == "smape":      # Kaggle / the catalog's reference metric.py
        num = 2.0 * np.abs(y - p)
        den = np.abs(y) + np.abs(p)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100 * np.mean(np.where(den == 0, 0, num / den))
    if metric == "rmspe":      # Kaggle Rossmann
        m = y != 0
        if not m.any():
            return ERROR
        return math.sqrt(np.mean(((y[m] - p[m]) / y[m]) ** 2))
    raise KeyError(metric)


def binary_ok(c):
    return finite(c) and np.all((c["y"] == 0) | (c["y"] == 1))   # dojo rule: answers 0/1


def ref_ranking(metric, c):
    from sklearn import metrics as M
    if not binary_ok(c):
        return ERROR
    y, p, w = flat(c)
    if metric == "roc_auc":
        return M.roc_auc_score(y, p, sample_weight=w)
    if metric == "average_precision":
        return M.average_precision_score(y, p, sample_weight=w)
    Y, P = c["y"], c["p"]
    if metric == "roc_auc_mean_columns":
        if Y.shape[1] == 1:
            return M.roc_auc_score(Y[:, 0], P[:, 0], sample_weight=c["w"])
        return M.roc_auc_score(Y, P, average="macro", sample_weight=c["w"])
    if metric == "macro_average_precision":
        if Y.shape[1] == 1:
            return M.average_precision_score(Y[:, 0], P[:, 0], sample_weight=c["w"])
        return M.average_precision_score(Y, P, average="macro", sample_weight=c["w"])
    raise KeyError(metric)


CURVE_BANDS = {"weighted_auc_alaska": ((0.4,), (2, 1)),
               "weighted_auc_flavours": ((0.2, 0.4, 0.6, 0.8), (4, 3, 2, 1, 0))}


def ref_curves(metric, c):
    """lwlrap: sklearn's label ranking average precision with each row weighted by its number
    of labels; weighted AUCs: the flavours-of-physics starter kit's roc_auc_truncated (sklearn
    roc_curve + auc), with alaska2's bands for weighted_auc_alaska."""
    from sklearn import metrics as M
    if not binary_ok(c):
        return ERROR
    if metric == "lwlrap":
        Y, P = c["y"], c["p"]
        w = Y.sum(axis=1)
        if w.sum() == 0:
            return ERROR
        return M.label_ranking_average_precision_score(Y, P, sample_weight=w)
    y, p, _ = flat(c)
    if y.min() == y.max():
        return ERROR
    fpr, tpr, _ = M.roc_curve(y, p, drop_intermediate=False)
    th, wt = CURVE_BANDS[metric]
    th = [0.0] + list(th) + [1.0]
    area = 0.0
    for i in range(1, len(th)):
        area += wt[i - 1] * (M.auc(fpr, np.minimum(tpr, th[i])) - M.auc(fpr, np.minimum(tpr, th[i - 1])))
    th = np.array(th)
    return area / np.sum((th[1:] - th[:-1]) * np.array(wt))


def kaggle_gini(actual, pred):
    """Kaggle's normalized-Gini helper, verbatim (ties broken by row order)."""
    a = np.asarray(np.c_[actual, pred, np.arange(len(actual))], dtype=float)
    a = a[np.lexsort((a[:, 2], -1 * a[:, 1]))]
    total = a[:, 0].sum()
    if total == 0:
        return 0.0
    g = a[:, 0].cumsum().sum() / total
    g -= (len(actual) + 1) / 2.0
    return g / len(actual)


def ref_gini(c):
    from sklearn import metrics as M
    if not finite(c):
        return ERROR
    y, p, _ = flat(c)
    mode = c["gini_mode"]
    if mode == 0:                                   # DontGetKicked: 2 * roc_auc - 1
        if len(np.unique(y)) < 2:
            return 0.0
        return 2 * M.roc_auc_score(y, p) - 1
    ga = kaggle_gini(y, y)
    if ga == 0:
        return 0.0
    if mode == 1:                                   # tie-free: Kaggle's code
        return kaggle_gini(y, p) / ga
    # ties: Kaggle's code on the answers averaged within each group of tied predictions
    # (the mean over the orders of the tied rows)
    order = np.argsort(p, kind="mergesort")
    ya = y.astype(float).copy()
    ps = p[order]
    start = 0
    for i in range(1, len(ps) + 1):
        if i == len(ps) or ps[i] != ps[start]:
            idx = order[start:i]
            ya[idx] = y[idx].mean()
            start = i
    return kaggle_gini(ya, p) / ga


def ref_correlation(metric, c):
    import scipy.stats as st
    if not finite(c):
        return ERROR
    y, p, _ = flat(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if metric == "pearson":
            r = st.pearsonr(y, p)[0]
        elif metric == "spearman":
            r = st.spearmanr(y, p)[0]
        elif metric == "kendall_tau":
            r = st.kendalltau(y, p)[0]
        else:
            rs = [st.spearmanr(c["y"][:, j], c["p"][:, j])[0] for j in range(c["k"])]
            r = ERROR if any(np.isnan(rs)) else float(np.mean(rs))
    return r


def prob_ok(p):
    return np.all((p >= 0) & (p <= 1))               # dojo rule: probabilities in [0, 1]


def ref_log_loss(metric, c):
    from sklearn import metrics as M
    if not binary_ok(c) or not prob_ok(c["p"]):
        return ERROR
    eps, Y, P = c["params"]["eps"], c["y"], c["p"]
    cols = [(Y.ravel(), P.ravel(), None if c["w"] is None else np.repeat(c["w"], c["k"]))] \
        if metric == "log_loss" else [(Y[:, j], P[:, j], c["w"]) for j in range(c["k"])]
    vals = []
    for y, p, w in cols:
        if c["params"]["renormalize"]:
            vals.append(M.log_loss(y, p, eps=eps, labels=[0, 1], sample_weight=w))
        else:   # clip only
            q = np.clip(p, eps, 1 - eps)
            with np.errstate(divide="ignore"):
                loss = -np.where(y == 1, np.log(q), np.log(1 - q))
            vals.append(np.average(loss, weights=w))
    return float(np.mean(vals))


def ref_kl(c):
    """Kaggle's kl_divergence (HMS), answers normalized to distributions by their row sum."""
    if not finite(c) or not prob_ok(c["p"]) or np.any(c["y"] < 0):
        return ERROR
    eps = c["params"]["eps"]
    y = c["y"].astype(float)
    s = y.sum(axis=1, keepdims=True)
    t = np.divide(y, s, out=np.zeros_like(y), where=s > 0)
    q = np.clip(c["p"], eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t > 0, t * np.log(t / q), 0.0)
    return float(np.average(terms.sum(axis=1), weights=c["w"]))


def labels_ok(c):
    nc = c["params"]["nclasses"]
    return nc == 0 or (max(c["y"].max(), c["p"].max()) < nc)   # dojo rule: ids < nclasses


def ref_labels(metric, c):
    from sklearn import metrics as M
    if not labels_ok(c):
        return ERROR
    y, p, w, prm = c["y"], c["p"], c["w"], c["params"]
    zd = int(prm["zero_division"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if metric == "accuracy":
            return M.accuracy_score(y, p, sample_weight=w)
        if metric == "error_rate":
            return 1.0 - M.accuracy_score(y, p, sample_weight=w)
        if metric == "balanced_accuracy":
            return M.balanced_accuracy_score(y, p, sample_weight=w)
        if metric == "mcc":
            return M.matthews_corrcoef(y, p, sample_weight=w)
        if metric == "qwk":
            return M.cohen_kappa_score(y, p, weights="quadratic", sample_weight=w)
        avg = {"f1_macro": "macro", "f1_micro": "micro", "f1_weighted": "weighted"}.get(
            metric, AVERAGES[prm["average"]])
        fn = {"precision": M.precision_score, "recall": M.recall_score}.get(metric, M.f1_score)
        return fn(y, p, average=avg, pos_label=prm["pos_label"], zero_division=zd,
                  sample_weight=w)


def ref_proba(metric, c):
    from sklearn import metrics as M
    y, P, w, prm, k = c["y"], c["p"], c["w"], c["params"], c["k"]
    if k < 2 or not np.all(np.isfinite(P)) or not prob_ok(P) or y.max() >= k:
        return ERROR
    eps = prm["eps"]
    if metric == "log_loss_multiclass" and prm["renormalize"]:
        return M.log_loss(y, P, eps=eps, labels=list(range(k)), sample_weight=w)
    q = np.clip(P, eps, 1 - eps)
    if prm["renormalize"]:
        q = q / q.sum(axis=1, keepdims=True)
    loss = -np.log(q[np.arange(len(y)), y])
    if metric == "log_loss_multiclass":
        return float(np.average(loss, weights=w))
    # weighted_log_loss: mean over the classes present of their mean loss (ICR's balanced)
    return float(np.mean([loss[y == cl].mean() for cl in np.unique(y)]))


def apk(actual, predicted, k=10):
    """ml_metrics.average_precision.apk, verbatim."""
    if len(predicted) > k:
        predicted = predicted[:k]
    score = 0.0
    num_hits = 0.0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            num_hits += 1.0
            score += num_hits / (i + 1.0)
    if not actual:
        return 0.0
    return score / min(len(actual), k)


def ndcg(actual, predicted, k):
    rel = set(actual)
    if not rel:
        return 0.0
    seen, dcg = set(), 0.0
    for i, p in enumerate(predicted[:k]):
        if p not in seen and p in rel:
            dcg += 1.0 / math.log2(i + 2)
        seen.add(p)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
    return dcg / idcg


def f1_row(a, b):   # facebook-recruiting-iii's metric.py
    t, p = set(a), set(b)
    if not t and not p:
        return 1.0
    tp = len(t & p)
    prec = tp / len(p) if p else 0.0
    rec = tp / len(t) if t else 0.0
    return 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)


def jaccard(s1, s2):   # tweet-sentiment-extraction's, with both empty = 1.0
    a, b = set(s1.lower().split()), set(s2.lower().split())
    u = a | b
    return 1.0 if not u else len(a & b) / len(u)


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


class BadInput(Exception):
    pass


def rle_runs(s, npix):
    """The (start, length) pairs of an RLE string, with dojo's validation rules."""
    toks = s.split()
    if len(toks) % 2:
        raise BadInput
    runs = []
    for i in range(0, len(toks), 2):
        if not (toks[i].isdigit() and toks[i + 1].isdigit()):
            raise BadInput
        a, l = int(toks[i]), int(toks[i + 1])
        if a == 0 or l == 0 or (npix and a + l - 1 > npix):
            raise BadInput
        runs.append((a, l))
    return runs


def rle_pixels(s, npix):
    """HuBMAP's decoding into a pixel set."""
    px = set()
    for a, l in rle_runs(s, npix):
        px.update(range(a, a + l))
    return px


def rle_mask(s, npix):
    """TGS's decoding into a flat 0/1 mask of npix pixels."""
    m = np.zeros(npix, dtype=np.uint8)
    for a, l in rle_runs(s, npix):
        m[a - 1:a - 1 + l] = 1
    return m


def ref_text(metric, c):
    ys, ps, prm = c["y"], c["p"], c["params"]
    if metric in ("map_at_k", "apk"):
        k = prm["k"] or 10
        return float(np.mean([apk(a.split(), b.split(), k) for a, b in zip(ys, ps)]))
    if metric == "ndcg_at_k":
        k = prm["k"] or 5
        return float(np.mean([ndcg(a.split(), b.split(), k) for a, b in zip(ys, ps)]))
    if metric == "f1_samples":
        ind = float(np.mean([f1_row(a.split(), b.split()) for a, b in zip(ys, ps)]))
        ta, pa = [a.split() for a in ys], [b.split() for b in ps]
        if not any(ta) and not any(pa):
            return ind
        from sklearn.metrics import f1_score
        from sklearn.preprocessing import MultiLabelBinarizer
        mlb = MultiLabelBinarizer().fit(ta + pa)
        if len(mlb.classes_) < 2:   # one column is not "multilabel" to sklearn
            return ind
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = f1_score(mlb.transform(ta), mlb.transform(pa), average="samples",
                          zero_division=1)
        if abs(sk - ind) > TOL * max(1, abs(sk)):
            return ("MISMATCH", sk, ind)      # the two references disagree: flag it
        return sk
    if metric == "jaccard_word":
        return float(np.mean([jaccard(a, b) for a, b in zip(ys, ps)]))
    if metric == "levenshtein_mean":
        return float(np.mean([levenshtein(a, b) for a, b in zip(ys, ps)]))
    if metric in ("dice_rle", "iou_map"):
        npix = prm["height"] * prm["width"]
        thr = np.arange(0.5, 1.0, 0.05)
        out = []
        try:
            for a, b in zip(ys, ps):
                if metric == "dice_rle":
                    A, B = rle_pixels(a, npix), rle_pixels(b, npix)
                    out.append(1.0 if not A and not B else 2 * len(A & B) / (len(A) + len(B)))
                else:   # TGS: masks, IoU, hits over np.arange(0.5, 1.0, 0.05)
                    A, B = rle_mask(a, npix), rle_mask(b, npix)
                    u = np.logical_or(A, B).sum()
                    iou = 1.0 if u == 0 else np.logical_and(A, B).sum() / u
                    out.append(np.mean([1.0 if iou >= t else 0.0 for t in thr]))
        except BadInput:
            return ERROR
        return float(np.mean(out))
    if metric == "iou_map_boxes":
        try:
            return float(np.mean([wheat_image(a, b) for a, b in zip(ys, ps)]))
        except (BadInput, ValueError):
            return ERROR
    raise KeyError(metric)


def wheat_boxes(s):
    toks = [float(t) for t in s.split()]
    if len(toks) % 5:
        raise BadInput
    out = [toks[i:i + 5] for i in range(0, len(toks), 5)]
    if any(b[3] < 0 or b[4] < 0 for b in out):
        raise BadInput
    return out


def wheat_iou(a, b):   # global-wheat-detection's metric.py compute_iou
    xA, yA = max(a[0], b[0]), max(a[1], b[1])
    xB, yB = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, xB - xA) * max(0, yB - yA)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return 0.0 if union == 0 else inter / union


def wheat_image(gs, ps):   # global-wheat-detection's metric.py compute_image_ap
    gts = [b[1:] for b in wheat_boxes(gs)]
    preds = [(b[0], b[1:]) for b in wheat_boxes(ps)]
    if not gts:
        return 0.0
    preds = sorted(preds, key=lambda x: x[0], reverse=True)
    scores_ = []
    for thr in [round(x, 2) for x in np.arange(0.5, 0.76, 0.05)]:
        matched = [False] * len(gts)
        tp = 0
        for _conf, pb in preds:
            best, bi = 0.0, -1
            for gi, gb in enumerate(gts):
                if not matched[gi]:
                    v = wheat_iou(pb, gb)
                    if v >= thr and v > best:
                        best, bi = v, gi
            if bi >= 0:
                tp += 1
                matched[bi] = True
        fp, fn = len(preds) - tp, len(gts) - tp
        scores_.append(tp / (tp + fp + fn))
    return float(np.mean(scores_))


# ---------------------------------------------------------------------------------------
# the metric table: name -> (generator, reference, source)
# ---------------------------------------------------------------------------------------

def build_table():
    t = {}
    for m in ("rmse", "mse", "mae", "medae", "r2", "rmsle", "mape", "mcrmse", "mcrmsle"):
        t[m] = (gen_regression(m), ("regression", m), "sklearn")
    for m in ("smape", "rmspe"):
        t[m] = (gen_regression(m), ("regression", m), "Kaggle")
    for m in ("roc_auc", "roc_auc_mean_columns", "average_precision", "macro_average_precision"):
        t[m] = (gen_binary_scores(m), ("ranking", m), "sklearn")
    t["gini_normalized"] = (gen_gini, ("gini", None), "Kaggle + sklearn")
    for m in ("log_loss", "log_loss_mean_columns"):
        t[m] = (gen_binary_scores(m), ("log_loss", m), "sklearn")
    for m in ("pearson", "spearman", "kendall_tau", "spearman_mean_columns"):
        t[m] = (gen_correlation(m), ("correlation", m), "scipy")
    t["kl_divergence"] = (gen_kl, ("kl", None), "Kaggle")
    t["lwlrap"] = (gen_curves("lwlrap"), ("curves", "lwlrap"), "sklearn")
    for m in ("weighted_auc_alaska", "weighted_auc_flavours"):
        t[m] = (gen_curves(m), ("curves", m), "Kaggle + sklearn")
    for m in ("accuracy", "balanced_accuracy", "error_rate", "f1", "f1_macro", "f1_micro",
              "f1_weighted", "precision", "recall", "mcc", "qwk"):
        t[m] = (gen_labels(m), ("labels", m), "sklearn")
    t["log_loss_multiclass"] = (gen_proba("log_loss_multiclass"),
                                ("proba", "log_loss_multiclass"), "sklearn")
    t["weighted_log_loss"] = (gen_proba("weighted_log_loss"), ("proba", "weighted_log_loss"),
                              "Kaggle")
    for m in ("map_at_k", "apk", "ndcg_at_k"):
        t[m] = (gen_label_lists(m), ("text", m), "Kaggle")
    t["f1_samples"] = (gen_label_lists("f1_samples"), ("text", "f1_samples"), "sklearn")
    t["jaccard_word"] = (gen_words, ("text", "jaccard_word"), "Kaggle")
    t["levenshtein_mean"] = (gen_levenshtein, ("text", "levenshtein_mean"), "Kaggle")
    t["dice_rle"] = (gen_masks("dice_rle"), ("text", "dice_rle"), "Kaggle")
    t["iou_map"] = (gen_masks("iou_map"), ("text", "iou_map"), "Kaggle")
    t["iou_map_boxes"] = (gen_boxes, ("text", "iou_map_boxes"), "Kaggle")
    return t


REFS = {
    "regression": ref_regression, "ranking": ref_ranking, "log_loss": ref_log_loss,
    "correlation": ref_correlation, "labels": ref_labels, "proba": ref_proba,
    "text": ref_text, "curves": ref_curves,
}


def reference(job):
    cid, (family, metric), c = job
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with np.errstate(all="ignore"):
                if family == "gini":
                    v = ref_gini(c)
                elif family == "kl":
                    v = ref_kl(c)
                else:
                    v = REFS[family](metric, c)
        except (ValueError, ZeroDivisionError, BadInput):
            v = ERROR
    if isinstance(v, tuple):
        return cid, v
    if v is not ERROR and v != ERROR:
        v = float(v)
        if math.isnan(v):
            v = ERROR
    return cid, v


# ---------------------------------------------------------------------------------------
# case file, driver, comparison
# ---------------------------------------------------------------------------------------

def pack_case(cid, metric, c):
    prm = c["params"]
    name = metric.encode()
    kind = c["kind"]
    y, p = c["y"], c["p"]
    if kind == TEXT:
        n, k = len(y), 1
    else:
        n = len(y)
        k = c["k"]
    w = c["w"]
    out = [struct.pack("<IIH", cid, kind, len(name)), name,
           struct.pack("<QQB", n, k, 1 if w is not None else 0),
           struct.pack("<dqqqiiqqd", prm["eps"], prm["k"], prm["pos_label"], prm["nclasses"],
                       prm["average"], prm["renormalize"], prm["height"], prm["width"],
                       prm["zero_division"])]
    if kind == NUMERIC:
        out += [np.ascontiguousarray(y, "<f8").tobytes(), np.ascontiguousarray(p, "<f8").tobytes()]
    elif kind == LABELS:
        out += [np.ascontiguousarray(y, "<i8").tobytes(), np.ascontiguousarray(p, "<i8").tobytes()]
    elif kind == PROBA:
        out += [np.ascontiguousarray(y, "<i8").tobytes(), np.ascontiguousarray(p, "<f8").tobytes()]
    else:
        for strings in (y, p):
            bs = [s.encode("utf-8") for s in strings]
            offs = np.zeros(n + 1, "<i8")
            offs[1:] = np.cumsum([len(b) for b in bs])
            data = b"".join(bs)
            out += [offs.tobytes(), struct.pack("<Q", len(data)), data]
    if w is not None:
        out.append(np.ascontiguousarray(w, "<f8").tobytes())
    return b"".join(out)


def describe(c):
    if c["kind"] == TEXT:
        return f"n={len(c['y'])}"
    return f"n={len(c['y'])} k={c['k']} w={'yes' if c['w'] is not None else 'no'}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    t0 = time.time()
    table = build_table()
    names = [m for m in table if not args.only or m in args.only.split(",")]
    cases, meta = [], []
    for mi, metric in enumerate(names):
        gen, refkey, _src = table[metric]
        rng = np.random.default_rng([args.seed, mi])
        for _ in range(args.cases):
            c = gen(rng)
            cases.append(c)
            meta.append((metric, refkey))
    path = os.path.join(args.tmp, "cases.bin")
    with open(path, "wb") as f:
        f.write(b"DJPC" + struct.pack("<II", 1, len(cases)))
        for cid, (c, (metric, _)) in enumerate(zip(cases, meta)):
            f.write(pack_case(cid, metric, c))
    t1 = time.time()

    res_path = os.path.join(args.tmp, "results.txt")
    drv = subprocess.Popen([args.driver, path, res_path])
    jobs = [(cid, meta[cid][1], c) for cid, c in enumerate(cases)]
    jobs.sort(key=lambda j: -(len(j[2]["y"]) * (j[2].get("k") or 1)))   # big cases first
    refs = {}
    with Pool(args.jobs) as pool:
        for cid, v in pool.imap_unordered(reference, jobs, chunksize=4):
            refs[cid] = v
    rc = drv.wait()
    t2 = time.time()
    if rc != 0:
        print(f"Bail out! parity_driver exited with status {rc}")
        return 1

    dojo = {}
    with open(res_path, encoding="utf-8") as f:
        for line in f:
            cid, status, rest = line.rstrip("\n").split(" ", 2)
            dojo[int(cid)] = float.fromhex(rest) if status == "ok" else (ERROR, rest)

    failed = 0
    summary = []
    for ti, metric in enumerate(names, 1):
        ids = [i for i in range(len(cases)) if meta[i][0] == metric]
        bad, maxdiff, nerr = [], 0.0, 0
        for i in ids:
            r, d = refs[i], dojo.get(i)
            if isinstance(r, tuple):
                bad.append((i, f"the references disagree: sklearn {r[1]!r}, python {r[2]!r}"))
                continue
            if r == ERROR:
                if isinstance(d, tuple):
                    nerr += 1
                else:
                    bad.append((i, f"reference raises, dojo gives {d!r}"))
                continue
            if isinstance(d, tuple):
                bad.append((i, f"dojo error '{d[1]}', reference {r!r}"))
                continue
            if math.isinf(r) or math.isinf(d):
                if r != d:
                    bad.append((i, f"dojo {d!r} vs reference {r!r}"))
                continue
            diff = abs(d - r)
            maxdiff = max(maxdiff, diff / max(1.0, abs(r)))
            if not diff <= TOL * max(1.0, abs(r)):
                bad.append((i, f"dojo {d!r} vs reference {r!r} (|diff| {diff:.3g})"))
        src = table[metric][2]
        if bad:
            failed += 1
            print(f"not ok {ti} - {metric} ({len(ids)} cases)")
            for i, msg in bad[:4]:
                print(f"#   case {i} ({describe(cases[i])}, params {short_params(cases[i])}): {msg}")
            if len(bad) > 4:
                print(f"#   ... {len(bad) - 4} more differing cases")
        else:
            print(f"ok {ti} - {metric} ({len(ids)} cases)")
        summary.append(f"# {metric:24s} vs {src:16s} max rel |diff| {maxdiff:.2e}, "
                       f"{nerr} error cases agreed")
    for s in summary:
        print(s)
    print(f"1..{len(names)}")
    print(f"# {len(cases)} cases: generated in {t1 - t0:.1f}s, computed and compared in "
          f"{t2 - t1:.1f}s; {failed} metrics failed")
    return 1 if failed else 0


def short_params(c):
    p = c["params"]
    return {k: v for k, v in p.items() if v != DEFAULT_PARAMS[k]}


if __name__ == "__main__":
    sys.exit(main())
