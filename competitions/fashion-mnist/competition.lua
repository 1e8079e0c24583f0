-- Fashion-MNIST: which kind of garment is in the picture? Zalando Research's Fashion-MNIST
-- (Xiao, Rasul and Vollgraf 2017; MIT): 28x28 grey-scale images of clothing in 10 classes,
-- the drop-in replacement for MNIST that Kaggle's fashionmnist data set also serves as pixel
-- CSVs. Read at prepare time from the Debian package dataset-fashion-mnist (gzipped IDX
-- files under /usr/share/datasets/fashion-mnist), so nothing is copied into the tree. The
-- layout is Kaggle's: one row per image, label, then pixel1..pixel784 (row by row, 0 white
-- .. 255 black), plus an id column. The official split is kept: the 60000 training images
-- train, the 10000 test images test. The metric is accuracy on the label 0..9. No human
-- leaderboard exists for this split: the leaderboard is a reference ladder (ladder/*.py,
-- tools/make-ladder).
local DIR = "/usr/share/datasets/fashion-mnist/"
local MISSING = "fashion-mnist needs the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"

-- A big-endian 32-bit integer at byte i of s.
local function u32(s, i)
  local a, b, c, d = string.byte(s, i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- Reads one IDX file of the package: its items' bytes and their count.
local function idx(ctx, file, magic, item_bytes)
  local ok, gz = pcall(ctx.read_file, DIR .. file)
  if not ok then error(MISSING, 0) end
  local data = ctx.gunzip(gz)
  if u32(data, 1) ~= magic then error("fashion-mnist: " .. DIR .. file .. " is not an IDX file", 0) end
  local n = u32(data, 5)
  local head = magic == 2051 and 16 or 8
  if magic == 2051 and (u32(data, 9) ~= 28 or u32(data, 13) ~= 28) then
    error("fashion-mnist: " .. DIR .. file .. " does not hold 28x28 images", 0)
  end
  if #data ~= head + n * item_bytes then error("fashion-mnist: " .. DIR .. file .. " is truncated", 0) end
  return data, n, head
end

-- "v," for every byte value: a row of pixels becomes CSV with one gsub.
local PIX = {}
for v = 0, 255 do PIX[string.char(v)] = v .. "," end

-- The CSV text of a set of images: id[,label],pixel1..pixel784.
local function images_csv(images, ihead, labels, lhead, n, first_id, with_label)
  local header = { "id" }
  if with_label then header[2] = "label" end
  for p = 1, 784 do header[#header + 1] = "pixel" .. p end
  local out = { table.concat(header, ",") .. "\n" }
  for k = 0, n - 1 do
    local off = ihead + k * 784
    local px = string.gsub(string.sub(images, off + 1, off + 784), ".", PIX)
    local lead = with_label and (first_id + k) .. "," .. string.byte(labels, lhead + k + 1) .. "," or (first_id + k) .. ","
    out[#out + 1] = lead .. string.sub(px, 1, -2) .. "\n"
  end
  return table.concat(out)
end

local function prepare(ctx)
  local tri, ntr, trih = idx(ctx, "train-images-idx3-ubyte.gz", 2051, 784)
  local trl, ntrl, trlh = idx(ctx, "train-labels-idx1-ubyte.gz", 2049, 1)
  local tei, nte, teih = idx(ctx, "t10k-images-idx3-ubyte.gz", 2051, 784)
  local tel, ntel, telh = idx(ctx, "t10k-labels-idx1-ubyte.gz", 2049, 1)
  if ntr ~= ntrl or nte ~= ntel then error("fashion-mnist: the image and label files disagree on their counts", 0) end
  ctx.write_public_file("train.csv", images_csv(tri, trih, trl, trlh, ntr, 1, true))
  tri = nil
  ctx.write_public_file("test.csv", images_csv(tei, teih, nil, nil, nte, ntr + 1, false))
  tei = nil
  -- answers (with Kaggle's Usage column) and a constant sample submission
  local ids, answers, train_labels = {}, {}, {}
  for k = 1, nte do ids[k], answers[k] = ntr + k, string.byte(tel, telh + k) end
  for k = 1, ntr do train_labels[k] = string.byte(trl, trlh + k) end
  local usage = ctx.usage(nte)
  local npublic = 0
  for k = 1, nte do if usage[k] == "Public" then npublic = npublic + 1 end end
  ctx.write_private("test_answer.csv", {
    { name = "id", values = ids, n = nte, type = "int" },
    { name = "label", values = answers, n = nte, type = "int" },
    { name = "Usage", values = usage, n = nte, type = "string" },
  })
  local guess, sample = ctx.sample_value(train_labels, ntr), {}
  for k = 1, nte do sample[k] = guess end
  ctx.write_public("sample_submission.csv", {
    { name = "id", values = ids, n = nte, type = "int" },
    { name = "label", values = sample, n = nte, type = "int" },
  })
  return { train_rows = ntr, test_rows = nte, public_rows = npublic, private_rows = nte - npublic }
end

return dojo.competition {
  name = "fashion-mnist",
  title = "Fashion-MNIST: clothing images",
  modality = "image",
  task = "multiclass",
  metric = "accuracy",
  id_column = "id",
  target_columns = { "label" },
  labels = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
  credit = "Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, Zalando Research), via the Debian package dataset-fashion-mnist; MIT",
  notes = MISSING,
  prepare = prepare,
  split = { public_fraction = 0.3 },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard for this split: reference solutions of about a minute each, from a constant to a " ..
           "small neural network (ladder/*.py), scored by tools/make-ladder on the official test set",
  },
}
