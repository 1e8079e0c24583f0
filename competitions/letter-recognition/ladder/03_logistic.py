# Linear: multinomial logistic regression on standardized features.
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = [c for c in test.columns if c != "id"]
model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000)).fit(train[feats], train["lettr"])
pd.DataFrame({"id": test["id"], "lettr": model.predict(test[feats])}).to_csv("./submission.csv", index=False)
