# Tree ensemble: gradient boosting on per-user and per-movie statistics (mean rating, count,
# spread -- computed out of fold on the training rows, so that a row never sees its own
# rating), the movie's year, the rating's year and the genres.
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
mu = train["rating"].mean()
GENRES = sorted({g for s in train["genres"].dropna() for g in s.split("|")})

def stats(fit, rows):
    out = pd.DataFrame(index=rows.index)
    for key in ("userId", "movieId"):
        g = fit.groupby(key)["rating"].agg(["sum", "count", "std"])
        s = rows[key].map(g["sum"]).fillna(0)
        n = rows[key].map(g["count"]).fillna(0)
        out[key + "_mean"] = (s + 5 * mu) / (n + 5)
        out[key + "_count"] = n
        out[key + "_std"] = rows[key].map(g["std"])
    return out

def features(d, st):
    f = st.copy()
    f["year"] = d["year"]
    f["rated_year"] = pd.to_datetime(d["timestamp"], unit="s").dt.year
    f["age_when_rated"] = f["rated_year"] - f["year"]
    for g in GENRES:
        f["g_" + g] = d["genres"].fillna("").str.contains(g, regex=False).astype(np.int8)
    return f

oof = pd.concat([stats(train.iloc[a], train.iloc[b]) for a, b in KFold(5, shuffle=True, random_state=0).split(train)])
X = features(train, oof.loc[train.index])
Xt = features(test, stats(train, test))
model = HistGradientBoostingRegressor(learning_rate=0.1, max_iter=300, max_leaf_nodes=31, random_state=0)
model.fit(X, train["rating"])
pred = np.clip(model.predict(Xt), 0.5, 5.0)
pd.DataFrame({"id": test["id"], "rating": pred}).to_csv("./submission.csv", index=False)
