# A simple rule: the service grew, and people ride in summer: each day gets the typical
# (geometric mean) count of its year and season in the training set.
import numpy as np
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
typical = np.expm1(np.log1p(train["cnt"]).groupby([train["yr"], train["season"]]).mean())
pred = [typical[(y, s)] for y, s in zip(test["yr"], test["season"])]
pd.DataFrame({"id": test["id"], "cnt": pred}).to_csv("./submission.csv", index=False)
