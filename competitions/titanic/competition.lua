-- Titanic: who survived the sinking? The 1309 passengers of Kaggle's "titanic" competition,
-- from the titanic3 table that Debian's python3-sklearn ships as an OpenML test fixture
-- (BSD-3-Clause). The columns are renamed to Kaggle's; boat, body and home.dest are dropped
-- because they give the answer away (a boat number means the passenger was rescued). Kaggle
-- split 891 train / 418 test; dojo makes its own seeded split of the same size, so the ids
-- are not Kaggle's. The leaderboard is Kaggle's (its 101 quantiles from MLE-Dojo's copy of
-- the top 4549 teams, all at or above 0.775), so position here means what it means there.
return dojo.competition {
  name = "titanic",
  title = "Titanic: Machine Learning from Disaster",
  modality = "tabular",
  task = "binary",
  metric = "accuracy",
  id_column = "PassengerId",
  target_columns = { "Survived" },
  labels = { 0, 1 },
  credit = "titanic3 (Harrell, Vanderbilt Biostatistics), via python3-sklearn's OpenML fixture 40945; BSD-3-Clause",
  source = {
    file = "data/titanic3.csv.gz",
    types = { ticket = "string" },
    drop = { "boat", "body", "home.dest" },
    rename = { pclass = "Pclass", survived = "Survived", name = "Name", sex = "Sex", age = "Age", sibsp = "SibSp",
               parch = "Parch", ticket = "Ticket", fare = "Fare", cabin = "Cabin", embarked = "Embarked" },
    id_start = 1,
  },
  split = { test_rows = 418, public_fraction = 0.5, stratify = "Survived" },
  leaderboard = {
    kind = "kaggle",
    note = "Kaggle's titanic leaderboard as MLE-Dojo recorded it (101 quantiles of its top 4549 teams)",
    public = { rows = 4549, quantiles = {
      0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511,
      0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511,
      0.77511, 0.77511, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751,
      0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751,
      0.77751, 0.7799, 0.7799, 0.7799, 0.7799, 0.7799, 0.7799, 0.7799,
      0.7799, 0.7799, 0.7799, 0.7799, 0.78229, 0.78229, 0.78229, 0.78229,
      0.78229, 0.78229, 0.78229, 0.78229, 0.78229, 0.78229, 0.78229, 0.78468,
      0.78468, 0.78468, 0.78468, 0.78468, 0.78468, 0.78468, 0.78468, 0.78468,
      0.78468, 0.78708, 0.78708, 0.78708, 0.78708, 0.78708, 0.78708, 0.78708,
      0.78708, 0.78947, 0.78947, 0.78947, 0.78947, 0.78947, 0.79186, 0.79186,
      0.79186, 0.79186, 0.79425, 0.79425, 0.79665, 0.79665, 0.80143, 0.80143,
      0.80143, 0.80143, 0.80382, 0.80622, 0.81339, 0.817316, 0.94258, 1.0,
      1.0, 1.0, 1.0, 1.0, 1.0,
    } },
    private = { rows = 4549, quantiles = {
      0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511,
      0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511, 0.77511,
      0.77511, 0.77511, 0.77511, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751,
      0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751, 0.77751,
      0.77751, 0.77751, 0.7799, 0.7799, 0.7799, 0.7799, 0.7799, 0.7799,
      0.7799, 0.7799, 0.7799, 0.7799, 0.7799, 0.7799, 0.78229, 0.78229,
      0.78229, 0.78229, 0.78229, 0.78229, 0.78229, 0.78229, 0.78229, 0.78229,
      0.78229, 0.78468, 0.78468, 0.78468, 0.78468, 0.78468, 0.78468, 0.78468,
      0.78468, 0.78468, 0.78468, 0.78708, 0.78708, 0.78708, 0.78708, 0.78708,
      0.78708, 0.78708, 0.78947, 0.78947, 0.78947, 0.78947, 0.78947, 0.79186,
      0.79186, 0.79186, 0.79186, 0.79425, 0.79425, 0.79665, 0.79665, 0.79904,
      0.80143, 0.80143, 0.80143, 0.80382, 0.80622, 0.811, 0.81578, 0.922484,
      1.0, 1.0, 1.0, 1.0, 1.0,
    } },  },
}
