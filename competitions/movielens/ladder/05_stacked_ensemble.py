# Stacked ensemble: the ridge bias model of 03 and each user's taste for the movie's genres
# (the user's mean residual of the bias model on movies of those genres) become features
# of the gradient boosting of 04; on the training rows every such feature is computed out
# of fold (5 folds), so that no row sees its own rating.
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
users = {u: i for i, u in enumerate(pd.concat([train["userId"], test["userId"]]).unique())}
movies = {m: i for i, m in enumerate(pd.concat([train["movieId"], test["movieId"]]).unique())}
GENRES = sorted({g for s in train["genres"].dropna() for g in s.split("|")})


def design(d):
    n = len(d)
    rows = np.repeat(np.arange(n), 2)
    cols = np.column_stack([d["userId"].map(users).values, len(users) + d["movieId"].map(movies).values]).ravel()
    return sp.csr_matrix((np.ones(2 * n), (rows, cols)), shape=(n, len(users) + len(movies)))


def stats(fit, rows):
    mu = fit["rating"].mean()
    out = pd.DataFrame(index=rows.index)
    for key in ("userId", "movieId"):
        g = fit.groupby(key)["rating"].agg(["sum", "count", "std"])
        s = rows[key].map(g["sum"]).fillna(0)
        n = rows[key].map(g["count"]).fillna(0)
        out[key + "_mean"] = (s + 5 * mu) / (n + 5)
        out[key + "_count"] = n
        out[key + "_std"] = rows[key].map(g["std"])
    rg = Ridge(alpha=5.0, fit_intercept=False, solver="sparse_cg", max_iter=2000, tol=1e-6).fit(design(fit), fit["rating"] - mu)
    out["biases"] = mu + rg.predict(design(rows))
    # residual of the bias model on the fit rows; the user's mean residual on movies of each of this movie's genres
    res = fit["rating"] - (mu + rg.predict(design(fit)))
    fg = fit["genres"].fillna("").str.split("|")
    ex = pd.DataFrame({"userId": fit["userId"].values, "res": res.values, "g": fg.values}).explode("g")
    aff = ex.groupby(["userId", "g"])["res"].agg(["sum", "count"])
    aff = (aff["sum"] / (aff["count"] + 10)).to_dict()
    rg_ = rows["genres"].fillna("").str.split("|")
    out["genre_affinity"] = [np.mean([aff.get((u, g), 0.0) for g in gs]) for u, gs in zip(rows["userId"].values, rg_.values)]
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
model = HistGradientBoostingRegressor(learning_rate=0.1, max_iter=300, max_leaf_nodes=31, random_state=0).fit(X, train["rating"])
pred = np.clip(model.predict(Xt), 0.5, 5.0)
pd.DataFrame({"id": test["id"], "rating": pred}).to_csv("./submission.csv", index=False)
