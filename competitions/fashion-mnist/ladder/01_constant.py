# Constant: every image gets the most frequent label of the training set (the classes are
# balanced, so this is one tenth right).
import pandas as pd

train = pd.read_csv("./data/train.csv", usecols=["label"])
test = pd.read_csv("./data/test.csv", usecols=["id"])
pd.DataFrame({"id": test["id"], "label": train["label"].mode()[0]}).to_csv("./submission.csv", index=False)
