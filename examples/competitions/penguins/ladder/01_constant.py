# The sample submission: every penguin gets the most common species of the training set.
import shutil

shutil.copy("./data/sample_submission.csv", "./submission.csv")
