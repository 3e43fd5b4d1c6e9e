/*
 * cliargs.c - "--name value..." command lines (see cliargs.h).
 */
#include "cliargs.h"

#include <stdio.h>
#include <string.h>

static int is_option(const char *a)
{
    return a[0] == '-' && a[1] == '-' && a[2] != '\0';
}

int cliargs_next(int argc, char **argv, int *i, const char **name, char *value, size_t vcap,
                 char *err, size_t errlen)
{
    size_t vl = 0;

    if (*i >= argc)
        return 0;
    if (!is_option(argv[*i])) {
        snprintf(err, errlen, "unexpected argument '%s': options are --name value", argv[*i]);
        return -1;
    }
    *name = argv[(*i)++] + 2;
    if (vcap == 0) {
        snprintf(err, errlen, "no room for the value of --%s", *name);
        return -1;
    }
    value[0] = '\0';
    while (*i < argc && !is_option(argv[*i])) {
        size_t l = strlen(argv[*i]);
        if (vl + l + 2 > vcap) {
            snprintf(err, errlen, "value of --%s too long", *name);
            return -1;
        }
        if (vl)
            value[vl++] = ' ';
        memcpy(value + vl, argv[*i], l);
        vl += l;
        value[vl] = '\0';
        (*i)++;
    }
    return 1;
}
