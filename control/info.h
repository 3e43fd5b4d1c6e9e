/*
 * info.h - reading Redis INFO text ("# Section" headers, "name:value" lines, CRLF or LF).
 */
#ifndef CTL_INFO_H
#define CTL_INFO_H

#include <stddef.h>

/* info_field: copy the value of @key into @out (NUL-terminated, truncated). Returns 1 if
 * found, 0 if not. */
int info_field(const char *text, const char *key, char *out, size_t outlen);

/* info_ll: the value of @key as an integer, or @def if missing or not an integer. */
long long info_ll(const char *text, const char *key, long long def);

/**
 * info_foreach: call @fn for every "name:value" line with the current section name (lower
 * case, "" before the first header). Name and value are NUL-terminated copies, valid during
 * the call.
 */
void info_foreach(const char *text,
                  void (*fn)(void *ud, const char *section, const char *name, const char *value),
                  void *ud);

/**
 * info_subfield: in "calls=21,usec=175,..." find @key and return its value as a double in
 * *@out. Returns 1 if found.
 */
int info_subfield(const char *value, const char *key, double *out);

#endif
