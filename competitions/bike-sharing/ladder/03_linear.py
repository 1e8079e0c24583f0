# Linear: ridge regression on log(1 + cnt) with the year, month, weekday and weather
# situation one-hot, and the weather measurements (temperature also squared: rides fall
# off in the heat).
import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")

def features(d):
    f = pd.DataFrame({"yr": d["yr"], "holiday": d["holiday"],
                      "workingday": d["workingday"], "temp": d["temp"], "temp2": d["temp"] ** 2,
                      "atemp": d["atemp"], "hum": d["hum"], "windspeed": d["windspeed"]})
    for name, col, values in (("month", d["mnth"], range(1, 13)), ("weekday", d["weekday"], range(7)),
                              ("weather", d["weathersit"], range(1, 5))):
        for v in values:
            f["%s_%d" % (name, v)] = (col == v).astype(int)
    return f

model = RidgeCV(alphas=np.logspace(-3, 2, 20)).fit(features(train), np.log1p(train["cnt"]))
pred = np.expm1(model.predict(features(test))).clip(1, None)
pd.DataFrame({"id": test["id"], "cnt": pred}).to_csv("./submission.csv", index=False)
