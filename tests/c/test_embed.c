/* test_embed.c -- the embedding API: runtimes, calls, envs, JSON in and out, freeing rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dojo.h"
#include "harness.h"

void test_embed(void)
{
    char err[512];

    dj_test_begin("runtime_new(NULL) finds the framework by itself");
    dojo_runtime *rt = dojo_runtime_new(NULL, err, sizeof err);
    CHECK(rt != NULL, "runtime_new: %s", err);
    if (!rt) {
        dj_test_end();
        return;
    }
    const char *root = dojo_runtime_lua_root(rt);
    CHECK(root && strstr(root, "/lua") != NULL, "lua root %s", root ? root : "(null)");
    dj_test_end();

    dj_test_begin("runtime_call returns JSON results and JSON errors");
    char *s = dojo_runtime_call(rt, "dojo.version_info", NULL);
    CHECK(s && strstr(s, "\"version\":\"") && strstr(s, "\"lua\":\"Lua 5.4\"") &&
              strstr(s, "\"landlock_abi\":"), "version_info: %s", s ? s : "(null)");
    dojo_free(s);
    s = dojo_runtime_call(rt, "dojo.nosuch", "{}");
    CHECK(s && strstr(s, "\"error\"") && strstr(s, "no function nosuch"), "unknown: %s", s ? s : "(null)");
    dojo_free(s);
    s = dojo_runtime_call(rt, "os.execute", "\"true\"");
    CHECK(s && strstr(s, "\"error\"") && strstr(s, "dojo.module.function"), "outside dojo: %s", s ? s : "(null)");
    dojo_free(s);
    s = dojo_runtime_call(rt, "dojo.json.decode", "\"[1, 2, 3\"");
    CHECK(s && strstr(s, "\"error\""), "failed call: %s", s ? s : "(null)");
    dojo_free(s);
    s = dojo_runtime_call(rt, "dojo.version_info", "{not json");
    CHECK(s && strstr(s, "\"error\"") && strstr(s, "not valid JSON"), "bad json: %s", s ? s : "(null)");
    dojo_free(s);
    dj_test_end();

    dj_test_begin("env_make answers 'no such competition' in the error buffer");
    err[0] = '\0';
    dojo_env *env = dojo_env_make(rt, "no-such-competition", "{\"max_steps\":3}", err, sizeof err);
    CHECK(env == NULL, "env made");
    CHECK(strstr(err, "no such competition 'no-such-competition'") != NULL, "err: %s", err);
    env = dojo_env_make(rt, "x", "[1,2", err, sizeof err);
    CHECK(env == NULL && strstr(err, "not valid JSON") != NULL, "bad options: %s", err);
    env = dojo_env_make(rt, "x", "[1,2]", err, sizeof err);
    CHECK(env == NULL && strstr(err, "must be a JSON object") != NULL, "array options: %s", err);
    env = dojo_env_make(rt, NULL, NULL, err, sizeof err);
    CHECK(env == NULL && strstr(err, "competition name") != NULL, "NULL name: %s", err);
    dj_test_end();

    dj_test_begin("a C host plays an episode through make, reset, step and close alone");
    {
        char dir[] = "/tmp/dojo-embed-XXXXXX";
        CHECK(mkdtemp(dir) != NULL, "mkdtemp");
        char opts[512];
        snprintf(opts, sizeof opts,
                 "{\"data_root\":\"%s/data\",\"output_dir\":\"%s/run\",\"max_steps\":3}", dir, dir);
        err[0] = '\0';
        dojo_env *ep = dojo_env_make(rt, "titanic", opts, err, sizeof err);
        CHECK(ep != NULL, "make titanic: %s", err);
        if (ep) {
            char *r = dojo_env_reset(ep, "{\"seed\":1}");
            CHECK(r && strstr(r, "\"observation\"") && strstr(r, "titanic"), "reset: %s", r ? r : "(null)");
            dojo_free(r);
            r = dojo_env_step(ep, "request_info", "{\"info_type\":\"name\"}");
            CHECK(r && strstr(r, "\"text\":\"titanic\""), "request_info: %s", r ? r : "(null)");
            dojo_free(r);
            r = dojo_env_step(ep, "execute_code",
                              "{\"code\":\"import shutil\\nshutil.copy('data/sample_submission.csv', "
                              "'submission.csv')\\n\"}");
            CHECK(r && strstr(r, "\"public_score\":0.") && strstr(r, "\"truncated\":false"),
                  "execute_code: %.300s", r ? r : "(null)");
            dojo_free(r);
            r = dojo_env_step(ep, "no_such_action", "{}");
            CHECK(r && strstr(r, "unknown action 'no_such_action'") && strstr(r, "\"truncated\":true"),
                  "bad action: %.300s", r ? r : "(null)");
            dojo_free(r);
            dojo_env_close(ep);
        }
        char cmd[600];
        snprintf(cmd, sizeof cmd, "test -s %s/run/summary.json && rm -rf %s", dir, dir);
        CHECK(system(cmd) == 0, "summary.json written");
    }
    dj_test_end();

    dj_test_begin("NULL handles are harmless");
    dojo_env_close(NULL);
    CHECK(dojo_env_reset(NULL, "{}") == NULL, "reset NULL");
    CHECK(dojo_env_step(NULL, "request_info", "{}") == NULL, "step NULL");
    CHECK(dojo_runtime_call(NULL, "dojo.version_info", NULL) == NULL, "call NULL");
    CHECK(dojo_runtime_cli(NULL, 0, NULL) == 2, "cli NULL");
    dojo_runtime_free(NULL);
    dj_test_end();

    dj_test_begin("runtime_cli runs subcommands and returns their exit codes");
    const char *ok_argv[] = {"dojo", "version"};
    const char *bad_argv[] = {"dojo", "frobnicate"};
    const char *bad_flag[] = {"dojo", "version", "--frobnicate"};
    fflush(stdout);
    CHECK(dojo_runtime_cli(rt, 2, ok_argv) == 0, "version must exit 0");
    CHECK(dojo_runtime_cli(rt, 2, bad_argv) == 2, "unknown subcommand must exit 2");
    CHECK(dojo_runtime_cli(rt, 3, bad_flag) == 2, "unknown flag must exit 2");
    fflush(stdout);
    dj_test_end();

    dj_test_begin("a framework folder that is not one is refused with a clear message");
    dojo_runtime *bad = dojo_runtime_new("/nonexistent", err, sizeof err);
    CHECK(bad == NULL && strstr(err, "/nonexistent does not hold the dojo framework"), "err: %s", err);
    const char *saved = getenv("DOJO_LUA_ROOT");
    char *keep = saved ? strdup(saved) : NULL;
    setenv("DOJO_LUA_ROOT", "/tmp", 1);
    bad = dojo_runtime_new(NULL, err, sizeof err);
    CHECK(bad == NULL && strstr(err, "DOJO_LUA_ROOT=/tmp"), "env err: %s", err);
    if (keep)
        setenv("DOJO_LUA_ROOT", keep, 1);
    else
        unsetenv("DOJO_LUA_ROOT");
    free(keep);
    dj_test_end();

    dj_test_begin("two runtimes are independent and are freed cleanly");
    dojo_runtime *rt2 = dojo_runtime_new(NULL, err, sizeof err);
    CHECK(rt2 != NULL, "second runtime: %s", err);
    s = dojo_runtime_call(rt2, "dojo.json.encode", "{\"b\":[1,2.5,\"x\"],\"a\":null}");
    CHECK(s && strcmp(s, "\"{\\\"a\\\":null,\\\"b\\\":[1,2.5,\\\"x\\\"]}\"") == 0, "encode: %s", s ? s : "(null)");
    dojo_free(s);
    dojo_runtime_free(rt2);
    dojo_runtime_free(rt);
    dj_test_end();
}
