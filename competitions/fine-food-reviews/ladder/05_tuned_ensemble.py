# Tuned ensemble: logistic regressions on word (1-3 grams) and character (2-5 grams) TF-IDF,
# their penalties chosen by 5-fold cross-validated ROC AUC, and an NB-SVM (logistic
# regression on naive Bayes log-count ratios); averaged by rank.
import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
text, text_t, y = train["review"].fillna(""), test["review"].fillna(""), train["great"].values

def tuned(vec, Cs):
    X, Xt = vec.fit_transform(text), vec.transform(text_t)
    scores = [cross_val_score(LogisticRegression(C=C, max_iter=3000), X, y, cv=5, scoring="roc_auc").mean() for C in Cs]
    C = Cs[int(np.argmax(scores))]
    print(type(vec).__name__, vec.analyzer, "C =", C, "cv AUC %.4f" % max(scores))
    return LogisticRegression(C=C, max_iter=3000).fit(X, y).predict_proba(Xt)[:, 1]

p_word = tuned(TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True), [0.5, 2.0, 8.0])
p_char = tuned(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=200000),
               [0.5, 2.0, 8.0])

# NB-SVM: scale binary word features by the log-count ratio of the two classes
vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, binary=True, use_idf=False, norm=None)
X, Xt = vec.fit_transform(text), vec.transform(text_t)
p1 = np.asarray(X[y == 1].sum(0)).ravel() + 1
p0 = np.asarray(X[y == 0].sum(0)).ravel() + 1
r = np.log((p1 / p1.sum()) / (p0 / p0.sum()))
p_nb = LogisticRegression(C=1.0, max_iter=3000).fit(X.multiply(r).tocsr(), y).predict_proba(Xt.multiply(r).tocsr())[:, 1]

rank = lambda p: rankdata(p) / len(p)
p = 0.4 * rank(p_word) + 0.3 * rank(p_char) + 0.3 * rank(p_nb)
pd.DataFrame({"id": test["id"], "great": p}).to_csv("./submission.csv", index=False)
