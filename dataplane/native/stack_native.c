/*
 * stack_native.c - entry points of the native stack (see stack_native.h).
 */
#include "stack_native.h"

#include "../core/log.h"

int native_eal_args(char **argv, int max)
{
    (void)argv;
    (void)max;
    return 0;
}

int native_run(void)
{
    log_warn("the native stack is not built yet: run with --stack posix");
    return -1;
}
