-- House prices: what did a house in Ames, Iowa sell for? Dean De Cock's Ames housing data
-- (2930 sales, 2006-2010), the data behind Kaggle's "house-prices-advanced-regression-
-- techniques" and its course twin "home-data-for-ml-course", as r-cran-modeldata's
-- make_ames() ships it (MIT). That version differs from Kaggle's: 2930 houses instead of
-- 2919; 8 of Kaggle's 79 columns are absent (Overall_Qual, Exter_Qual, Bsmt_Qual,
-- Low_Qual_Fin_SF, Kitchen_Qual, Fireplace_Qu, Garage_Yr_Blt, Garage_Qual); the columns are
-- renamed (MSSubClass -> MS_SubClass, 1stFlrSF -> First_Flr_SF, SalePrice -> Sale_Price),
-- codes are spelled out as words and "no such feature" is a level instead of NA; Longitude
-- and Latitude are added. Kaggle split 1460 train / 1459 test; dojo makes its own seeded
-- split of about the same proportion (half), so the ids are not Kaggle's.
--
-- The leaderboard is home-data-for-ml-course's as MLE-Dojo recorded it (101 quantiles of
-- about 4600 teams). Its scores are mean absolute errors in dollars -- Kaggle evaluates that
-- competition with MAE -- although MLE-Dojo's catalog lists its metric as rmse and its
-- grader computes RMSE against this MAE leaderboard. dojo grades with MAE, so a score and a
-- leaderboard position here mean the same thing.
return dojo.competition {
  name = "house-prices",
  title = "House Prices: Ames, Iowa",
  modality = "tabular",
  task = "regression",
  metric = "mae",
  id_column = "Id",
  target_columns = { "Sale_Price" },
  credit = "Ames housing (De Cock 2011), via r-cran-modeldata 1.1.0 (ames); MIT",
  notes = "Kaggle's home-data-for-ml-course leaderboard is in mean absolute error (MLE-Dojo's catalog says rmse " ..
          "and scores RMSE against it; dojo uses MAE). The modeldata version lacks 8 of Kaggle's columns " ..
          "(Overall_Qual, Exter_Qual, Bsmt_Qual, Low_Qual_Fin_SF, Kitchen_Qual, Fireplace_Qu, Garage_Yr_Blt, " ..
          "Garage_Qual), renames the rest (SalePrice -> Sale_Price) and adds Longitude and Latitude.",
  source = {
    file = "data/modeldata__ames.csv.gz",
    id_start = 1,
    license = "MIT",
    origin = "r-cran-modeldata 1.1.0-1 (Debian 12), data set ames",
  },
  split = { test_rows = 1465, public_fraction = 0.5 },
  leaderboard = {
    kind = "kaggle",
    note = "Kaggle's home-data-for-ml-course leaderboard (mean absolute error) as MLE-Dojo recorded it " ..
           "(101 quantiles of about 4600 teams)",
    public = { rows = 4599, quantiles = {
      5585.2858, 12998.102862, 13677.0356916, 13985.81943, 14236.00791, 14454.826144,
      14660.632076, 14804.1744046, 14968.11701, 15144.4826844, 15253.1284, 15342.9675098,
      15606.762474, 15791.322682, 15976.3667268, 16074.35467, 16171.0484104, 16244.0867,
      16280.1393148, 16305.9993806, 16336.01649, 16364.1566, 16380.65544, 16382.49973,
      16411.546222, 16421.55172, 16421.55172, 16421.55172, 16424.15057, 16424.15057,
      16424.15057, 16424.15057, 16424.15057, 16427.74284, 16461.000038, 16469.84179,
      16496.0585384, 16522.8592462, 16557.51918, 16592.77974, 16597.2205, 16601.2368496,
      16619.07644, 16619.07644, 16619.07644, 16619.07644, 16619.07644, 16619.07644,
      16619.07644, 16625.54251, 16631.98342, 16640.8575, 16644.83089, 16644.83089,
      16644.83089, 16715.513744, 17023.7779296, 17371.4868836, 17704.780366, 17849.98517,
      17860.00818, 18011.7822732, 18191.8885836, 18465.4284786, 18674.6495864, 18987.966858,
      19480.0454424, 20328.3527936, 20798.7518236, 20857.0116126, 20909.617938, 20928.54621,
      20928.54621, 20928.8992324, 20958.096968, 20983.828185, 20998.8378, 20998.8378,
      20998.8378, 20998.8378, 20998.8378, 20998.8378, 20998.8378, 20998.8944576,
      21024.823534, 21040.41207, 21063.6986564, 21087.730912, 21122.4504204, 21142.9016154,
      21175.44482, 21209.6768734, 21217.9164, 21217.9164, 21217.9164, 21217.9164,
      21217.9164, 21217.9164, 21217.9164, 21217.9164, 21217.9164,
    } },
    private = { rows = 4549, quantiles = {
      5585.2858, 12980.3375392, 13656.3422948, 13985.81943, 14219.3742188, 14422.659236,
      14651.6000752, 14763.0260188, 14967.098096, 15119.7151128, 15240.20875, 15317.5169104,
      15551.0634372, 15760.8791732, 15931.6328212, 16059.62537, 16149.305596, 16235.12533,
      16277.5054192, 16301.9146944, 16323.488984, 16363.8509208, 16378.9956688, 16382.225746,
      16403.00579, 16421.55172, 16421.55172, 16421.55172, 16421.55172, 16424.15057,
      16424.15057, 16424.15057, 16424.15057, 16424.15057, 16450.8169808, 16469.84179,
      16478.3455312, 16521.0054632, 16545.15815, 16588.2127216, 16597.2205, 16597.2205,
      16619.07644, 16619.07644, 16619.07644, 16619.07644, 16619.07644, 16619.07644,
      16619.07644, 16619.07644, 16625.54251, 16640.8575, 16642.67368, 16644.83089,
      16644.83089, 16659.570192, 16822.6283188, 17153.5823464, 17560.0341604, 17805.0207108,
      17860.00818, 17902.3589788, 18049.426876, 18322.5307908, 18569.0413148, 18792.400584,
      19137.1597812, 19685.5252704, 20595.5158892, 20801.49472, 20879.55392, 20914.211106,
      20928.54621, 20928.54621, 20939.897616, 20964.61529, 20991.490102, 20998.8378,
      20998.8378, 20998.8378, 20998.8378, 20998.8378, 20998.8378, 20998.8378,
      21001.0933036, 21029.602456, 21041.5554896, 21065.6486856, 21094.7669428, 21123.737538,
      21147.60055, 21175.6905516, 21211.0156628, 21217.9164, 21217.9164, 21217.9164,
      21217.9164, 21217.9164, 21217.9164, 21217.9164, 21217.9164,
    } },
  },
}
