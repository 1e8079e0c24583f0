"""grade_pandas.py -- the pandas + scikit-learn side of bench/grade (MLE-Dojo's path).

    /usr/bin/python3 bench/grade_pandas.py METRIC TRUTH.csv PRED.csv REPS

Per repetition, timed as one piece: pandas.read_csv of both files, the checks MLE-Dojo's
graders make (same row count, no duplicate ids, the same id set), both frames sorted by id
and their ids compared, then the scikit-learn metric: roc_auc_score, sqrt of
mean_squared_error, or log_loss over the class columns (named by the labels, in sklearn's
sorted label order). Prints one line: score=%.17g seconds=BEST peak_rss_bytes=N (the
process's peak over all repetitions, from getrusage; imports are not timed but do count in
the peak, as they would in a grader).
"""
import math
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score


def grade(metric, truth_path, pred_path):
    truth = pd.read_csv(truth_path)
    pred = pd.read_csv(pred_path)
    id_col, target = truth.columns[0], truth.columns[1]
    if len(pred) != len(truth):
        raise ValueError("the prediction has %d rows, %d expected" % (len(pred), len(truth)))
    if pred[id_col].duplicated().any():
        raise ValueError("duplicate ids in the prediction")
    truth = truth.sort_values(id_col).reset_index(drop=True)
    pred = pred.sort_values(id_col).reset_index(drop=True)
    if not np.array_equal(truth[id_col].values, pred[id_col].values):
        raise ValueError("the prediction's ids differ from the truth's")
    if metric == "roc_auc":
        return roc_auc_score(truth[target].values, pred[pred.columns[1]].values)
    if metric == "rmse":
        return math.sqrt(mean_squared_error(truth[target].values, pred[pred.columns[1]].values))
    if metric == "log_loss_multiclass":
        classes = sorted(str(c) for c in pred.columns[1:])
        y = truth[target].astype(str).values
        return log_loss(y, pred[classes].values, labels=classes)
    raise ValueError("unknown metric " + metric)


def main():
    metric, truth_path, pred_path, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    best, score = float("inf"), None
    for _ in range(reps):
        t0 = time.perf_counter()
        score = grade(metric, truth_path, pred_path)
        best = min(best, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("score=%.17g seconds=%.4f peak_rss_bytes=%d" % (score, best, peak))


if __name__ == "__main__":
    main()
