# Constant: every review gets the share of great reviews in the training set (ROC AUC 0.5).
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
pd.DataFrame({"id": test["id"], "great": train["great"].mean()}).to_csv("./submission.csv", index=False)
