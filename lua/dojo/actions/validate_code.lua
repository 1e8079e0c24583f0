-- validate_code: a syntax check, then a short sandboxed run; whatever submission the run
-- writes is discarded (the previous one is put back), and nothing is graded.
return {
  name = "validate_code",
  description = "Checks Python code: syntax, then a short sandboxed run (a few seconds). Nothing is graded " ..
                "and a submission it writes is discarded. Use it to catch errors cheaply.",
  params = { code = "string" },
  required = { "code" },
  run = function(env, args)
    return env:run_code(args.code, "validate")
  end,
}
