/*
 * config.h - dpcache-control's options (the table is options.h): defaults, config file,
 * command line, --help.
 *
 * Usage: dpcache-control [/path/to/dpcache-control.conf] [--name value ...]; command-line
 * options override the file. Not thread-safe: the configuration is loaded once at start and
 * read-only afterwards.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

#include "options.h"

#include <stddef.h>
#include <stdio.h>

/* ctl_config_init: every option at its default. Returns 0 or -ENOMEM. */
int ctl_config_init(struct ctl_config *cfg);
void ctl_config_free(struct ctl_config *cfg);

/**
 * ctl_config_set: set option @name (without "--") to @value. Returns 0, -1 for an unknown
 * option, -2 for an invalid value; on error a message is stored in @err.
 */
int ctl_config_set(struct ctl_config *cfg, const char *name, const char *value, char *err,
                   size_t errlen);

/* ctl_config_load_file: "name value" lines; '#' starts a comment line. 0 or -1 (@err set). */
int ctl_config_load_file(struct ctl_config *cfg, const char *path, char *err, size_t errlen);

/* ctl_config_load_args: [config-file] --name value ... (a value may span several words). */
int ctl_config_load_args(struct ctl_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* ctl_config_print_help: one entry per option (name, description, default, range). */
void ctl_config_print_help(FILE *fp);

/* ctl_config_print_markdown: the options table of docs/operations.md. */
void ctl_config_print_markdown(FILE *fp);

#endif
