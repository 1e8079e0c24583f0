# A field guide's rule: Gentoos have long flippers; of the others, Chinstraps have long bills.
import pandas as pd

test = pd.read_csv("./data/test.csv")
flipper = test["flipper_length_mm"].fillna(200)
bill = test["bill_length_mm"].fillna(44)
species = ["Gentoo" if f > 206 else ("Chinstrap" if b > 44 else "Adelie") for f, b in zip(flipper, bill)]
pd.DataFrame({"id": test["id"], "species": species}).to_csv("./submission.csv", index=False)
