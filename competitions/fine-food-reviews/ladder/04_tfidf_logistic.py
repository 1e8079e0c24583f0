# Linear, stronger: logistic regression on TF-IDF of words and word pairs.
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                      LogisticRegression(C=4.0, max_iter=2000))
model.fit(train["review"].fillna(""), train["great"])
p = model.predict_proba(test["review"].fillna(""))[:, 1]
pd.DataFrame({"id": test["id"], "great": p}).to_csv("./submission.csv", index=False)
