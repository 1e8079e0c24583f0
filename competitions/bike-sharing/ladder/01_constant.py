# Constant: every day gets the training mean of log(1 + cnt), turned back into a count (the
# constant that minimizes RMSLE).
import numpy as np
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
pd.DataFrame({"id": test["id"], "cnt": np.expm1(np.log1p(train["cnt"]).mean())}).to_csv("./submission.csv", index=False)
