# A simple rule: the movie's mean rating, shrunk towards the global mean (as if every movie
# had 5 more ratings at the global mean); unseen movies get the global mean.
import pandas as pd

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
mu = train["rating"].mean()
g = train.groupby("movieId")["rating"].agg(["sum", "count"])
movie = (g["sum"] + 5 * mu) / (g["count"] + 5)
pred = test["movieId"].map(movie).fillna(mu)
pd.DataFrame({"id": test["id"], "rating": pred}).to_csv("./submission.csv", index=False)
