# Constant: every rating is predicted as the mean training rating.
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
pd.DataFrame({"id": test["id"], "rating": train["rating"].mean()}).to_csv("./submission.csv", index=False)
