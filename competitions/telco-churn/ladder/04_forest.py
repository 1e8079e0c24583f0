# Tree ensemble: a random forest (500 trees, leaves of at least 20 customers, chosen by
# 3-fold cross-validation).
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
feats = [c for c in test.columns if c != "id"]
cat = [c for c in feats if train[c].dtype == object]
num = [c for c in feats if c not in cat]
prep = make_column_transformer((SimpleImputer(strategy="median"), num),
                               (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), cat))
model = make_pipeline(prep, RandomForestClassifier(n_estimators=500, min_samples_leaf=20, n_jobs=-1, random_state=0))
model.fit(train[feats], train["churn"])
p = model.predict_proba(test[feats])[:, 1]
pd.DataFrame({"id": test["id"], "churn": p}).to_csv("./submission.csv", index=False)
