/* hello.c -- a C program that embeds dojo through dojo.h and -ldojo alone:
   cc hello.c $(pkg-config --cflags --libs dojo) -o hello && ./hello data.csv.gz */
#include <stdio.h>
#include <dojo.h>

int main(int argc, char **argv)
{
    char err[512];
    dojo_table *t = dojo_table_read_csv(argc > 1 ? argv[1] : "data.csv", NULL, err, sizeof err);
    if (!t) { fprintf(stderr, "hello: %s\n", err); return 1; }
    printf("%zu rows, %zu columns, first column '%s'\n", dojo_table_nrows(t),
           dojo_table_ncols(t), dojo_table_column_name(t, 0));
    dojo_table_free(t);
    dojo_runtime *rt = dojo_runtime_new(NULL, err, sizeof err);
    if (!rt) { fprintf(stderr, "hello: %s\n", err); return 2; }
    char *info = dojo_runtime_call(rt, "dojo.version_info", NULL);
    printf("%s\n", info);
    dojo_free(info);
    dojo_runtime_free(rt);
    return 0;
}
