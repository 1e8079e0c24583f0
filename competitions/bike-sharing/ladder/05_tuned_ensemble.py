# Tuned ensemble: gradient boosting on log(1 + cnt) with the calendar columns, a day
# counter (the service's growth) and the weather, its learning rate and depth chosen by
# 5-fold cross-validated RMSLE, averaged with the random forest (0.6 / 0.4).
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.model_selection import GridSearchCV, KFold

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")

def features(d):
    date = pd.to_datetime(d["date"])
    f = d.drop(columns=["id", "date", "cnt"], errors="ignore").copy()
    f["dayofyear"] = date.dt.dayofyear
    f["day"] = (date - pd.Timestamp("2011-01-01")).dt.days
    return f

X, Xt, y = features(train), features(test), np.log1p(train["cnt"])
grid = GridSearchCV(GradientBoostingRegressor(n_estimators=400, subsample=0.8, random_state=0),
                    {"learning_rate": [0.02, 0.05], "max_depth": [3, 4]},
                    scoring="neg_root_mean_squared_error", cv=KFold(5, shuffle=True, random_state=0))
grid.fit(X, y)
print("boosting:", grid.best_params_, "cv RMSLE %.4f" % -grid.best_score_)
rf = RandomForestRegressor(n_estimators=500, n_jobs=-1, random_state=0).fit(X, y)
pred = np.expm1(0.6 * grid.best_estimator_.predict(Xt) + 0.4 * rf.predict(Xt))
pd.DataFrame({"id": test["id"], "cnt": pred}).to_csv("./submission.csv", index=False)
