# Linear: logistic regression on standardized (log-scaled money) numbers with missing-value
# flags, and one-hot categories.
import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
money = ["Expenses", "Income", "Assets", "Debt", "Amount", "Price"]
for d in (train, test):
    for c in money:
        d[c] = np.log1p(d[c])
feats = [c for c in test.columns if c != "id"]
cat = [c for c in feats if train[c].dtype == object]
num = [c for c in feats if c not in cat]
prep = make_column_transformer(
    (make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
    (make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")), cat))
model = make_pipeline(prep, LogisticRegression(C=1.0, max_iter=2000))
model.fit(train[feats], train["Status"])
p = model.predict_proba(test[feats])[:, 1]
pd.DataFrame({"id": test["id"], "Status": p}).to_csv("./submission.csv", index=False)
