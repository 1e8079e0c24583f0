-- get_history: what the episode has done so far, one line per step.
return {
  name = "get_history",
  description = "Shows the steps of this episode so far: action, outcome, public score and position.",
  params = {},
  run = function(env)
    return { status = "SUCCESS", text = env:history_text() }
  end,
}
