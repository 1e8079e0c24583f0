-- dojo.llm.prices: what a reply cost, in dollars.
--
-- PRICES AS OF 2025-11 -- list prices in US dollars per million tokens, standard tier, no
-- batch or prompt-caching discounts (cached input is counted at the full input price, so
-- a cost here can overstate the bill). Providers change prices: check your provider's
-- page and register your own. A model that is not listed has an unknown cost (nil), never 0.
--
--   prices.register(name_or_pattern, { input = USD_PER_MTOK, output = USD_PER_MTOK })
--   prices.lookup(model [, extra]) -> { input =, output = } | nil
--   prices.cost(model, usage [, extra]) -> dollars | nil
--
-- Matching a model name (after dropping a routing prefix such as "openai/" or "models/"):
-- an exact name first; then keys that start with "^", which are Lua patterns (the longest
-- pattern that matches wins); then a key followed only by a snapshot suffix: a date
-- ("-2024-08-06", "-20250514", "@20250514"), "-latest" or a version ("-001"). So "gpt-4o"
-- prices "gpt-4o-2024-08-06" but not "gpt-4o-mini-..." (listed on its own) nor "o3" the
-- differently priced "o3-pro": an unlisted variant has no price rather than a wrong one.
-- A table of the same shape passed as `extra` (a config's `prices`) is searched first.
local M = {}

local registry = {
  -- OpenAI
  ["gpt-5"]              = { input = 1.25, output = 10.00 },
  ["gpt-5-mini"]         = { input = 0.25, output = 2.00 },
  ["gpt-5-nano"]         = { input = 0.05, output = 0.40 },
  ["gpt-4.1"]            = { input = 2.00, output = 8.00 },
  ["gpt-4.1-mini"]       = { input = 0.40, output = 1.60 },
  ["gpt-4.1-nano"]       = { input = 0.10, output = 0.40 },
  ["gpt-4o"]             = { input = 2.50, output = 10.00 },
  ["gpt-4o-mini"]        = { input = 0.15, output = 0.60 },
  ["o3"]                 = { input = 2.00, output = 8.00 },
  ["o4-mini"]            = { input = 1.10, output = 4.40 },
  -- Anthropic
  ["claude-opus-4-5"]    = { input = 5.00, output = 25.00 },
  ["claude-opus-4-1"]    = { input = 15.00, output = 75.00 },
  ["claude-opus-4"]      = { input = 15.00, output = 75.00 },
  ["claude-sonnet-4-5"]  = { input = 3.00, output = 15.00 },
  ["claude-sonnet-4"]    = { input = 3.00, output = 15.00 },
  ["claude-3-7-sonnet"]  = { input = 3.00, output = 15.00 },
  ["claude-3-5-sonnet"]  = { input = 3.00, output = 15.00 },
  ["claude-haiku-4-5"]   = { input = 1.00, output = 5.00 },
  ["claude-3-5-haiku"]   = { input = 0.80, output = 4.00 },
  -- Google (Gemini 2.5 Pro: the price for prompts up to 200k tokens)
  ["gemini-2.5-pro"]        = { input = 1.25, output = 10.00 },
  ["gemini-2.5-flash"]      = { input = 0.30, output = 2.50 },
  ["gemini-2.5-flash-lite"] = { input = 0.10, output = 0.40 },
  ["gemini-2.0-flash"]      = { input = 0.10, output = 0.40 },
}
M.registry = registry

local function check_price(name, p)
  if type(name) ~= "string" or name == "" then
    return nil, "a price needs a model name or pattern (a non-empty string)"
  end
  if type(p) ~= "table" or type(p.input) ~= "number" or type(p.output) ~= "number"
     or p.input < 0 or p.output < 0 or p.input ~= p.input or p.output ~= p.output then
    return nil, "the price of '" .. name .. "' needs input and output dollars per million tokens (numbers >= 0)"
  end
  return true
end
M.check = check_price

--- Registers (or replaces) the price of a model name or a "^..." Lua pattern.
function M.register(name, p)
  local ok, err = check_price(name, p)
  if not ok then error(err, 2) end
  registry[name] = { input = p.input, output = p.output }
  return true
end

-- The suffixes that name a snapshot of the same model.
local SNAPSHOT = { "^%-%d%d%d%d%-%d%d%-%d%d$", "^%-%d%d%d%d%d%d%d%d$", "^@%d%d%d%d%d%d%d%d$", "^%-latest$", "^%-%d%d%d$" }

local function snapshot_suffix(rest)
  for _, pat in ipairs(SNAPSHOT) do
    if rest:find(pat) then return true end
  end
  return false
end

local function search(tbl, name)
  if type(tbl) ~= "table" then return nil end
  local p = tbl[name]
  if type(p) == "table" then return p end
  local best, best_len = nil, -1
  for key, price in pairs(tbl) do
    if type(key) == "string" and key:sub(1, 1) == "^" and type(price) == "table" then
      local ok, hit = pcall(string.find, name, key)
      if ok and hit and #key > best_len then best, best_len = price, #key end
    end
  end
  if best then return best end
  for key, price in pairs(tbl) do
    if type(key) == "string" and type(price) == "table" and #key > best_len and #key < #name
       and name:sub(1, #key) == key and snapshot_suffix(name:sub(#key + 1)) then
      best, best_len = price, #key
    end
  end
  return best
end

--- The price entry for model (searching extra first), or nil.
function M.lookup(model, extra)
  if type(model) ~= "string" or model == "" then return nil end
  local names = { model }
  local short = model:match("[^/]+$")
  if short and short ~= model then names[2] = short end
  for _, tbl in ipairs { extra or {}, registry } do
    for _, n in ipairs(names) do
      local p = search(tbl, n)
      if p and type(p.input) == "number" and type(p.output) == "number" then return p end
    end
  end
  return nil
end

--- Dollars for usage {input_tokens, output_tokens} on model, or nil when unknown.
function M.cost(model, usage, extra)
  local p = M.lookup(model, extra)
  if not p or type(usage) ~= "table" then return nil end
  local i, o = usage.input_tokens, usage.output_tokens
  if type(i) ~= "number" or type(o) ~= "number" then return nil end
  return (i * p.input + o * p.output) / 1e6
end

return M
