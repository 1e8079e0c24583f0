-- The scripted baseline agent (no LLM): reads the task, validates its first program, then
-- executes a ladder of scikit-learn solutions of rising strength, so that a run shows real
-- improvement on any tabular or text competition:
--
--   0 constant      the sample submission as it is
--   1 linear        logistic / ridge regression on imputed, scaled numbers, one-hot
--                   categories and TF-IDF text
--   2 forest        a random forest (text reduced by truncated SVD)
--   3 boosting      histogram gradient boosting
--   4 ensemble      tuned gradient boosting averaged with the forest
--
-- The program is one Python template; what to predict (labels, a probability, one
-- probability per class, a value, a value fitted on log1p) follows from the metric.
local json = require "dojo.json"
local metrics = require "dojo.metrics"

local M = {}

local PROBA = { roc_auc = true, log_loss = true, gini_normalized = true, average_precision = true,
                roc_auc_mean_columns = true, log_loss_mean_columns = true, weighted_log_loss = true }

function M.mode(meta)
  local info = metrics.info(meta.metric) or {}
  if info.kind == "labels" then return "label" end
  if info.kind == "proba" then return "multiproba" end
  if PROBA[meta.metric] then return "proba" end
  if meta.metric == "rmsle" or meta.metric == "mcrmsle" then return "regress_log" end
  return "regress"
end

M.LEVELS = { "constant", "linear", "forest", "boosting", "ensemble" }

local TEMPLATE = [==[
# dojo baseline, level %d (%s)
import sys, time
import numpy as np
import pandas as pd

LEVEL, MODE = %d, %s
ID, TARGETS = %s, %s
DATA, OUT = %s, %s
t0 = time.time()
train = pd.read_csv(DATA + "/train.csv")
test = pd.read_csv(DATA + "/test.csv")
sample = pd.read_csv(DATA + "/sample_submission.csv")
if ID is None:  # the id is the first column (catalog competitions)
    ID = sample.columns[0]
if TARGETS is None:
    TARGETS = [c for c in sample.columns if c != ID]
print("train", train.shape, "test", test.shape)
if LEVEL == 0:
    sample.to_csv(OUT, index=False)
    print("wrote the sample submission as a constant baseline")
    sys.exit(0)

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler, OneHotEncoder, OrdinalEncoder
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.decomposition import TruncatedSVD

feats = [c for c in test.columns if c != ID and c in train.columns and c not in TARGETS]
X, Xt = train[feats].copy(), test[feats].copy()
# dates become numbers: year, month, day of week, day of year
for c in [c for c in feats if X[c].dtype == object]:
    sample_vals = X[c].dropna().astype(str).head(200)
    if len(sample_vals) and sample_vals.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        for D in (X, Xt):
            d = pd.to_datetime(D[c], errors="coerce")
            D[c + "_year"], D[c + "_month"] = d.dt.year, d.dt.month
            D[c + "_dow"], D[c + "_doy"] = d.dt.dayofweek, d.dt.dayofyear
            del D[c]
feats = list(X.columns)
# big data (rows x columns): the slower models see a sample, so every level fits in the limits
BIG = X.shape[0] * max(1, X.shape[1]) > 5_000_000
num = [c for c in feats if pd.api.types.is_numeric_dtype(X[c])]
obj = [c for c in feats if c not in num]
text = [c for c in obj if X[c].astype(str).str.len().mean() > 40]
cat = [c for c in obj if c not in text and X[c].nunique() <= 60]
print("numeric", len(num), "categorical", len(cat), "text", len(text), "dropped", len(obj) - len(cat) - len(text))
for c in cat:
    X[c] = X[c].astype(str); Xt[c] = Xt[c].astype(str)
for c in text:
    X[c] = X[c].fillna("").astype(str); Xt[c] = Xt[c].fillna("").astype(str)

def features(linear):
    parts = []
    if num:
        steps = [SimpleImputer(strategy="median")] + ([StandardScaler()] if linear else [])
        parts.append(("num", make_pipeline(*steps), num))
    if cat:
        enc = OneHotEncoder(handle_unknown="ignore") if linear else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        parts.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), enc), cat))
    for c in text:
        tf = TfidfVectorizer(max_features=30000, ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        parts.append(("txt_" + c, tf if linear else make_pipeline(tf, TruncatedSVD(64, random_state=0)), c))
    return ColumnTransformer(parts, sparse_threshold=0.3 if linear else 0)

classify = MODE in ("label", "proba", "multiproba")

def model(level):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    if level == 1:
        est = LogisticRegression(max_iter=300 if BIG else 2000, C=1.0) if classify else Ridge(alpha=1.0)
    elif level == 2:
        est = (RandomForestClassifier if classify else RandomForestRegressor)(
            n_estimators=100 if BIG else 300, min_samples_leaf=2, max_samples=0.3 if BIG else None,
            n_jobs=-1, random_state=0)
    elif level == 3:
        est = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(random_state=0)
    else:
        est = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(
            learning_rate=0.1 if BIG else 0.05, max_iter=200 if BIG else 600, max_leaf_nodes=31,
            l2_regularization=1.0, early_stopping=True, validation_fraction=0.15, n_iter_no_change=30,
            random_state=0)
    return make_pipeline(features(level == 1), est)

def fit_predict(level, y):
    m = model(level)
    Xf, yf = X, y
    if BIG and level == 1 and len(X) > 20000:  # the linear model on a sample
        idx = np.random.RandomState(0).choice(len(X), 20000, replace=False)
        Xf, yf = X.iloc[idx], y.iloc[idx]
    if MODE == "regress_log":
        m.fit(Xf, np.log1p(np.clip(yf, 0, None)))
        return np.clip(np.expm1(m.predict(Xt)), 0, None), None
    m.fit(Xf, yf)
    if MODE in ("proba", "multiproba"):
        return m.predict_proba(Xt), list(m.classes_)
    return m.predict(Xt), None

sub = pd.DataFrame({ID: test[ID]})
for target in TARGETS:
    y = train[target]
    pred, classes = fit_predict(min(LEVEL, 4), y)
    if LEVEL >= 4 and not BIG:
        p2, _ = fit_predict(2, y)
        if MODE in ("proba", "multiproba", "regress", "regress_log"):
            pred = 0.6 * pred + 0.4 * p2
    if MODE == "proba":
        pos = classes.index(max(classes))
        sub[target] = pred[:, pos]
    elif MODE == "multiproba":
        for j, c in enumerate(classes):
            sub[str(c)] = pred[:, j]
    else:
        sub[target] = pred
if MODE == "multiproba":
    for c in sample.columns:
        if c not in sub.columns:
            sub[c] = 0.0
    sub = sub[list(sample.columns)]
sub.to_csv(OUT, index=False)
print("level %%d done in %%.1f s" %% (LEVEL, time.time() - t0))
]==]

local function py(v)
  if v == nil then return "None" end
  return assert(json.encode(v))
end

function M.program(level, meta)
  local mode = M.mode(meta)
  return string.format(TEMPLATE, level, M.LEVELS[level + 1], level, py(mode), py(meta.id_column),
                       py(meta.target_columns), py(meta.data_path), py(meta.submission_path))
end

local Agent = {}
Agent.__index = Agent

function M.new(opts)
  opts = opts or {}
  return setmetatable({ phase = "overview", level = 0, levels = opts.levels or #M.LEVELS }, Agent)
end

function Agent:act(obs, info)
  if self.phase == "overview" then
    self.phase = "metadata"
    return "request_info", { info_type = "overview" }
  elseif self.phase == "metadata" then
    self.phase = "parse"
    return "request_info", { info_type = "metadata" }
  elseif self.phase == "parse" then
    local meta = json.decode(obs.text or "")
    if type(meta) ~= "table" then return nil end
    self.meta = meta
    self.phase = "execute"
    return "validate_code", { code = M.program(1, meta) }
  elseif self.phase == "execute" then
    if self.level >= self.levels then return nil end
    local level = self.level
    self.level = level + 1
    return "execute_code", { code = M.program(level, self.meta) }
  end
  return nil
end

return M
