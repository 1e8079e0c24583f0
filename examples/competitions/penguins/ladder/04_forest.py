# A random forest on the measurements, the island and the sex (one-hot).
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"]
X = pd.get_dummies(pd.concat([train[feats], test[feats]]), columns=["island", "sex"], dummy_na=True)
X = X.fillna(X.median())
model = RandomForestClassifier(n_estimators=300, random_state=0)
model.fit(X.iloc[: len(train)], train["species"])
pd.DataFrame({"id": test["id"], "species": model.predict(X.iloc[len(train):])}).to_csv("./submission.csv", index=False)
