# Linear: multinomial naive Bayes on word counts.
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

train = pd.read_csv("./data/train.csv")
test = pd.read_csv("./data/test.csv")
model = make_pipeline(CountVectorizer(min_df=2), MultinomialNB(alpha=1.0))
model.fit(train["review"].fillna(""), train["great"])
p = model.predict_proba(test["review"].fillna(""))[:, 1]
pd.DataFrame({"id": test["id"], "great": p}).to_csv("./submission.csv", index=False)
