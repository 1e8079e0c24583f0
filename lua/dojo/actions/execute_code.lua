-- execute_code: runs the code in the sandbox (the work dir read-write, the data read-only),
-- then grades the submission it wrote; code and submission are archived as code_N.py and
-- submission_N.csv in the run directory.
return {
  name = "execute_code",
  description = "Runs Python code in the sandbox with the time and memory limits, then grades the " ..
                "submission file it writes (the public score and position are reported).",
  params = { code = "string" },
  required = { "code" },
  run = function(env, args)
    return env:run_code(args.code, "execute")
  end,
}
