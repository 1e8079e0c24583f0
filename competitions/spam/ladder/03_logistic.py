# Linear: logistic regression on log-scaled, standardized frequencies.
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = [c for c in test.columns if c != "id"]
model = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
model.fit(train[feats], train["spam"])
p = model.predict_proba(test[feats])[:, 1]
pd.DataFrame({"id": test["id"], "spam": p}).to_csv("./submission.csv", index=False)
