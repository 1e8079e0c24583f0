-- dojo.rng: a small deterministic random number generator, the same on Lua 5.4 and LuaJIT
-- (their math.random differ), so that a seed prepares the same bytes everywhere.
--
-- Park and Miller's minimal standard generator with multiplier 48271 (x' = 48271 x mod
-- 2^31 - 1): every product fits exactly in a double, so no integer or bit operations are
-- needed. Good enough for shuffling data and splitting it; not for cryptography.
local M = {}

local MOD, MUL = 2147483647, 48271

local Rng = {}
Rng.__index = Rng

-- A seed from a number and optional strings (e.g. the competition name): the same
-- arguments always give the same state, different ones almost always different states.
local function mix(seed, salt)
  local x = math.floor(math.abs(tonumber(seed) or 0)) % (MOD - 1)
  if salt then
    for i = 1, #salt do x = (x * 31 + salt:byte(i)) % (MOD - 1) end
  end
  return x + 1
end

function M.new(seed, salt)
  local r = setmetatable({ x = mix(seed, salt) }, Rng)
  for _ = 1, 8 do r:next() end
  return r
end

-- A uniform number in [0, 1).
function Rng:next()
  self.x = (self.x * MUL) % MOD
  return (self.x - 1) / (MOD - 1)
end

-- A uniform integer in 1..n.
function Rng:int(n)
  return math.floor(self:next() * n) + 1
end

-- Shuffles list in place (Fisher-Yates) and returns it.
function Rng:shuffle(list)
  for i = #list, 2, -1 do
    local j = self:int(i)
    list[i], list[j] = list[j], list[i]
  end
  return list
end

-- A random permutation of 1..n.
function Rng:permutation(n)
  local p = {}
  for i = 1, n do p[i] = i end
  return self:shuffle(p)
end

return M
