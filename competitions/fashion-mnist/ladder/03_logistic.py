# Linear: multinomial logistic regression on pixels scaled to [0, 1], fitted on a seeded
# sample of 15000 training images (100 L-BFGS iterations) to keep the run short.
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("./data/train.csv", dtype=np.int32)
test = pd.read_csv("./data/test.csv", dtype=np.int32)
pixels = [c for c in test.columns if c.startswith("pixel")]
sample = train.sample(n=15000, random_state=0)
model = LogisticRegression(C=0.1, max_iter=100).fit(sample[pixels].values / 255.0, sample["label"])
pd.DataFrame({"id": test["id"], "label": model.predict(test[pixels].values / 255.0)}).to_csv("./submission.csv", index=False)
