# Gradient boosting with a cross-validated learning rate, on all the columns.
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"]
X = pd.get_dummies(pd.concat([train[feats], test[feats]]), columns=["island", "sex"], dummy_na=True)
search = GridSearchCV(HistGradientBoostingClassifier(max_iter=100, random_state=0),
                      {"learning_rate": [0.05, 0.2]}, cv=3)
search.fit(X.iloc[: len(train)], train["species"])
pd.DataFrame({"id": test["id"], "species": search.predict(X.iloc[len(train):])}).to_csv("./submission.csv", index=False)
