"""tests/llm/scripts.py DIR KEY -- writes the fake model's scripts for tests/llm/run into DIR.

Each script is a list of scripted replies for tests/llm/fake_llm.py (one per model call, in
order). The programs are small honest Titanic solutions of different strength.
"""
import json
import sys

out, key = sys.argv[1], sys.argv[2]
U = {"input_tokens": 1000, "output_tokens": 50}

FEMALE = """import pandas as pd
t = pd.read_csv("data/test.csv")
pd.DataFrame({"PassengerId": t.PassengerId, "Survived": (t.Sex == "female").astype(int)}).to_csv("submission.csv", index=False)
print("rule: women survive")
"""
CLASS = """import pandas as pd
t = pd.read_csv("data/test.csv")
s = (t.Sex == "female") & ((t.Pclass < 3) | (t.Fare < 20))
pd.DataFrame({"PassengerId": t.PassengerId, "Survived": s.astype(int)}).to_csv("submission.csv", index=False)
print("rule: women in 1st/2nd class or on cheap fares")
"""
ZERO = """import pandas as pd
s = pd.read_csv("data/sample_submission.csv")
s["Survived"] = 0
s.to_csv("submission.csv", index=False)
"""
BUGGY = """import pandas as pd
t = pd.read_csv("data/test.csv")
print(t["NoSuchColumn"])
"""


def act(action, params=None, prose=""):
    return prose + json.dumps({"action": action, "params": params or {}})


def reply(content, **kw):
    r = {"content": content, "usage": U}
    r.update(kw)
    return r


def write(name, script):
    with open(f"{out}/{name}.json", "w") as f:
        json.dump(script, f, indent=1)


write("mle", [
    reply(act("request_info", {"info_type": "all"}, "First I read the task.\n"), expect_key=key),
    {"status": 429, "headers": {"retry-after": "0"}},
    # the trial run prints its whole environment: the key must not be there (no_key checks)
    reply("A quick trial run:\n```json\n" + act("validate_code", {"code": FEMALE + "import os\nprint(dict(os.environ))\n"}) + "\n```"),
    reply("I should train a model now, I think."),
    reply('{"action": "execute_code"}\n```python\n' + FEMALE + "```"),
    reply(act("execute_code", {"code": CLASS})),
    reply(act("get_history")),
    reply(act("execute_code", {"code": ZERO})),
])


def plan(text, code):
    return reply(text + "\n\n```python\n" + code + "```")


write("aide", [
    plan("Draft: predict that nobody survives.", ZERO),
    plan("Draft: use a column that does not exist.", BUGGY),
    reply("I would rather discuss the plan first."),
    plan("Draft: women survive.", FEMALE),
    plan("Refine: class and fare.", CLASS),
    plan("Refine: class and fare again.", CLASS),
])

write("tools", [
    {"tool_calls": [{"name": "request_info", "arguments": {"info_type": "name"}}], "usage": U},
    {"tool_calls": [{"name": "execute_code", "arguments": {"code": FEMALE}}], "usage": U},
])

write("two", [
    reply(act("request_info", {"info_type": "name"}), expect_key=key),
    reply(act("execute_code", {"code": FEMALE}), expect_key=key),
])

write("inspect", [
    reply(act("list_files")),
    reply(act("inspect_csv", {"file": "train.csv"})),
])

write("401", [{"status": 401, "error": "Incorrect API key provided"}])
