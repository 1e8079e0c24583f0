# Tree ensemble: a random forest of 300 trees.
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = [c for c in test.columns if c != "id"]
model = RandomForestClassifier(n_estimators=300, n_jobs=-1, random_state=0).fit(train[feats], train["lettr"])
pd.DataFrame({"id": test["id"], "lettr": model.predict(test[feats])}).to_csv("./submission.csv", index=False)
