# Constant: every e-mail gets the share of spam in the training set.
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
pd.DataFrame({"id": test["id"], "spam": train["spam"].mean()}).to_csv("./submission.csv", index=False)
