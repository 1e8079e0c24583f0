# A simple rule: three tell-tale signs (a dollar sign, the word "remove", the word "free");
# each combination of them gets its smoothed share of spam in the training set.
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")

def key(d):
    return (d["charDollar"] > 0).astype(int) * 4 + (d["remove"] > 0).astype(int) * 2 + (d["free"] > 0).astype(int)

prior = train["spam"].mean()
stats = train.groupby(key(train))["spam"].agg(["sum", "count"])
rate = (stats["sum"] + 2 * prior) / (stats["count"] + 2)
p = key(test).map(rate).fillna(prior).clip(0.01, 0.99)
pd.DataFrame({"id": test["id"], "spam": p}).to_csv("./submission.csv", index=False)
