# A simple rule: count a short list of happy and unhappy words; the score is the difference.
import re
import pandas as pd

GOOD = "love loves great best delicious excellent perfect favorite awesome amazing wonderful yummy happy highly".split()
BAD = ("not no but disappointed disappointing bad worst awful terrible stale bland money return however "
       "unfortunately okay ok").split()
test = pd.read_csv("./data/test.csv")

def score(text):
    words = re.findall(r"[a-z']+", str(text).lower())
    return sum(w in GOOD for w in words) - sum(w in BAD for w in words)

pd.DataFrame({"id": test["id"], "great": test["review"].map(score)}).to_csv("./submission.csv", index=False)
