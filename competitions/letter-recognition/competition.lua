-- Letter recognition: which of the 26 capital letters is it? The UCI letter recognition
-- data (Frey and Slate 1991): 20000 images of letters in 20 fonts, randomly distorted, each
-- reduced to 16 integer features (box size, pixel counts, moments, edge counts), as
-- r-cran-mlbench ships it (LetterRecognition, GPL-2). The feature names' dots become
-- underscores (x.box -> x_box). UCI's split is 16000 / 4000; dojo holds out a seeded,
-- stratified 4000. The metric is accuracy. No human leaderboard exists: the leaderboard is
-- a reference ladder (ladder/*.py, tools/make-ladder).
return dojo.competition {
  name = "letter-recognition",
  title = "Letter recognition",
  modality = "tabular",
  task = "multiclass",
  metric = "accuracy",
  id_column = "id",
  target_columns = { "lettr" },
  labels = { "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M",
             "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z" },
  credit = "UCI Letter Recognition (Frey and Slate 1991), via r-cran-mlbench 2.1-3 (LetterRecognition); GPL-2",
  source = {
    file = "data/mlbench__LetterRecognition.csv.gz",
    rename = { ["x.box"] = "x_box", ["y.box"] = "y_box", ["x.bar"] = "x_bar", ["y.bar"] = "y_bar",
               ["x.ege"] = "x_ege", ["y.ege"] = "y_ege" },
    id_start = 1,
    license = "GPL-2",
    origin = "r-cran-mlbench 2.1-3-1 (Debian 12), data set LetterRecognition",
  },
  split = { test_rows = 4000, public_fraction = 0.5, stratify = "lettr" },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard: reference solutions from a constant to a tuned ensemble (ladder/*.py), " ..
           "scored by tools/make-ladder on the default split",
  },
}
