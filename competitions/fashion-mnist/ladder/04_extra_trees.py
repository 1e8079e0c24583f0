# Tree ensemble: 40 extremely randomized trees on the raw pixels of all 60000 images.
import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier

train = pd.read_csv("./data/train.csv", dtype=np.int32)
test = pd.read_csv("./data/test.csv", dtype=np.int32)
pixels = [c for c in test.columns if c.startswith("pixel")]
model = ExtraTreesClassifier(n_estimators=40, n_jobs=-1, random_state=0).fit(train[pixels].values, train["label"])
pd.DataFrame({"id": test["id"], "label": model.predict(test[pixels].values)}).to_csv("./submission.csv", index=False)
