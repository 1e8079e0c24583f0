# Linear: logistic regression on standardized numbers and one-hot categories.
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = [c for c in test.columns if c != "id"]
cat = [c for c in feats if train[c].dtype == object]
num = [c for c in feats if c not in cat]
prep = make_column_transformer(
    (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
    (OneHotEncoder(handle_unknown="ignore"), cat))
model = make_pipeline(prep, LogisticRegression(C=1.0, max_iter=2000))
model.fit(train[feats], train["churn"])
p = model.predict_proba(test[feats])[:, 1]
pd.DataFrame({"id": test["id"], "churn": p}).to_csv("./submission.csv", index=False)
