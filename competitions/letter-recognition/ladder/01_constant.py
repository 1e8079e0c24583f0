# Constant: every image gets the most frequent letter of the training set.
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
pd.DataFrame({"id": test["id"], "lettr": train["lettr"].mode()[0]}).to_csv("./submission.csv", index=False)
