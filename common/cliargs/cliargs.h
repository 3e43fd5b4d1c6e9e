/*
 * cliargs.h - the redis-server style command line shared by dpcache and dpcache-control:
 * "--name value [value...]" pairs, where a value is every word up to the next "--option"
 * (so "--save 900 1 300 10" is one option). An optional config file comes first; the callers
 * read it themselves.
 *
 * Thread-safety: no state; reentrant.
 */
#ifndef DPCACHE_CLIARGS_H
#define DPCACHE_CLIARGS_H

#include <stddef.h>

/* Longest value of one option on the command line (its words joined by single spaces). */
#define CLIARGS_VALUE_MAX 4096

/**
 * cliargs_next: read the option at argv[*@i] and its value words, and move *@i past them.
 * *@name points into argv (after the "--"); @value (@vcap bytes, at most CLIARGS_VALUE_MAX is
 * useful) receives the words joined by single spaces ("" if none).
 * Returns 1 with an option, 0 when *@i == @argc, -1 on an argument that is not "--name" or a
 * value longer than @vcap (the message, naming the argument, is in @err).
 */
int cliargs_next(int argc, char **argv, int *i, const char **name, char *value, size_t vcap,
                 char *err, size_t errlen);

#endif /* DPCACHE_CLIARGS_H */
