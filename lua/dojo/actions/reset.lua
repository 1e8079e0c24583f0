-- reset: a fresh start of the work directory (files the agent's code wrote are removed;
-- the data is put back). The budgets and the history go on: a reset does not give steps or
-- time back.
return {
  name = "reset",
  description = "Clears the working directory (files written by earlier runs) and puts the data back. " ..
                "Steps and time already used are not given back.",
  params = {},
  run = function(env)
    local ok, err = env:reset_workdir()
    if not ok then return { status = "FAILED", error = err } end
    return { status = "SUCCESS", text = "The working directory was reset; the data is back in " .. require("dojo.env").DATA_REL .. "." }
  end,
}
