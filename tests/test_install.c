/* test_install.c -- `make install` makes a real tool (issue 16): installed
 * into a temporary prefix, martlet runs the demo pipeline from another
 * folder with the checkout out of reach, its man page renders, its bash
 * completion works, and `make uninstall` leaves the prefix empty. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs a shell command (built printf-style), returns its exit code and output. */
static int shell(char **output, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int shell(char **output, const char *format, ...) {
    char command[8192];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    return test_run_command(command, output);
}

/* How many times c occurs in text. */
static size_t count_of(const char *text, char c) {
    size_t count = 0;
    for (; *text; text++) count += *text == c;
    return count;
}

/* The number of entries in a folder, "." and ".." aside. */
static size_t entries_in(const char *directory) {
    DIR *folder = opendir(directory);
    cr_assert_not_null(folder, "%s is gone", directory);
    size_t count = 0;
    for (struct dirent *entry; (entry = readdir(folder)) != NULL;)
        count += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    closedir(folder);
    return count;
}

/* A make of this checkout, not of the make that may be running the tests. */
#define MAKE "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory"

/* What a user outside the checkout has: the prefix's bin on PATH, no
 * martlet variables, a home without a martlet config. */
#define OUTSIDE "cd '%s' && env -u MARTLET_PIPELINES -u MARTLET_WAREHOUSE -u MARTLET_CONFIG HOME='%s' PATH='%s/bin:/usr/bin:/bin'"

Test(install, the_installed_tool_runs_the_demo_outside_the_checkout_and_uninstalls_cleanly, .timeout = 600) {
    char *directory = test_temp_directory(), checkout[PATH_MAX], *output;
    cr_assert_not_null(realpath(".", checkout));
    char *prefix = files_join(directory, "pre fix"), *elsewhere = files_join(directory, "elsewhere");
    struct error err;
    cr_assert_eq(files_make_directories(elsewhere, &err), 0, "%s", err.message);

    cr_assert_eq(shell(&output, MAKE " install PREFIX='%s'", prefix), 0, "make install: %s", output);
    free(output);

    /* The program finds its libduckdb in the prefix, never in the checkout. */
    cr_assert_eq(shell(&output, "ldd '%s/bin/martlet'", prefix), 0, "%s", output);
    char expected[PATH_MAX + 64];
    snprintf(expected, sizeof expected, "libduckdb.so => %s/bin/../lib/martlet/libduckdb.so", prefix);
    cr_expect(strstr(output, expected) != NULL, "libduckdb from the prefix: %s", output);
    free(output);
    cr_assert_eq(shell(&output, "readelf -d '%s/bin/martlet' | grep -E 'RUNPATH|RPATH'", prefix), 0, "%s", output);
    cr_expect(strstr(output, "[$ORIGIN/../lib/martlet]") != NULL && strstr(output, checkout) == NULL,
              "an rpath relative to the program only: %s", output);
    free(output);

    /* The demo pipeline, from another folder: the shipped pipelines are found by default. */
    cr_assert_eq(shell(&output, OUTSIDE " martlet gen social --out data --scale 0.01", elsewhere, elsewhere, prefix), 0,
                 "%s", output);
    free(output);
    cr_assert_eq(shell(&output, OUTSIDE " martlet run social --source-dir data --date 2021-10-01", elsewhere, elsewhere,
                       prefix), 0, "%s", output);
    cr_expect(strstr(output, "run 1 succeeded: 23 succeeded") != NULL, "%s", output);
    free(output);
    cr_assert_eq(shell(&output, OUTSIDE " martlet report social conversion --top 3 --format csv", elsewhere, elsewhere,
                       prefix), 0, "%s", output);
    cr_expect_eq(count_of(output, '\n'), 4, "a header and three groups: %s", output);
    free(output);
    char *warehouse = files_join(elsewhere, "martlet.duckdb");
    cr_expect(files_exists(warehouse), "the default warehouse is made in the folder the user is in");
    free(warehouse);

    /* The man page renders, and says what --help says. */
    cr_assert_eq(shell(&output, "MANWIDTH=100 man -l '%s/share/man/man1/martlet.1' 2>&1", prefix), 0, "%s", output);
    char *help;
    cr_assert_eq(shell(&help, OUTSIDE " martlet plan --help | sed -n 3p", elsewhere, elsewhere, prefix), 0, "%s", help);
    help[strcspn(help, "\n")] = '\0';
    cr_expect(strstr(output, "MARTLET(1)") && strstr(output, "martlet plan") && *help && strstr(output, help),
              "the page holds plan's help ('%s'): %s", help, output);
    cr_expect(strstr(output, "martlet diff") && strstr(output, "martlet promote") && strstr(output, "martlet env") &&
              strstr(output, "martlet env drop PIPELINE NAME"), "the workflow commands have their sections: %s", output);
    free(help);
    free(output);
    cr_assert_eq(shell(&output, "MANWIDTH=100 man --warnings -l '%s/share/man/man1/martlet.1' 2>&1 >/dev/null", prefix),
                 0, "%s", output);
    cr_expect_str_empty(output, "roff warnings: %s", output);
    free(output);

    /* The bash completion sources and completes commands, options and pipelines. */
    cr_assert_eq(shell(&output, OUTSIDE " bash -c 'source \"$1/share/bash-completion/completions/martlet\" &&"
                                        " complete -p martlet &&"
                                        " COMP_WORDS=(martlet pl) COMP_CWORD=1 && _martlet && echo \"${COMPREPLY[*]}\" &&"
                                        " COMP_WORDS=(martlet plan --fr) COMP_CWORD=2 && _martlet && echo \"${COMPREPLY[*]}\" &&"
                                        " COMP_WORDS=(martlet run so) COMP_CWORD=2 && _martlet && echo \"${COMPREPLY[*]}\" &&"
                                        " COMP_WORDS=(martlet pro) COMP_CWORD=1 && _martlet && echo \"${COMPREPLY[*]}\" &&"
                                        " COMP_WORDS=(martlet env \"\") COMP_CWORD=2 && _martlet && echo \"${COMPREPLY[*]}\" &&"
                                        " COMP_WORDS=(martlet env drop so) COMP_CWORD=3 && _martlet && echo \"${COMPREPLY[*]}\" &&"
                                        " COMP_WORDS=(martlet diff --env dev so) COMP_CWORD=4 && _martlet && echo \"${COMPREPLY[*]}\"'"
                                        " bash '%s'",
                       elsewhere, elsewhere, prefix, prefix), 0, "%s", output);
    cr_expect_str_eq(output, "complete -F _martlet martlet\nplan\n--from\nsocial\npromote\ndrop ls\nsocial\nsocial\n");
    free(output);
    if (shell(&output, "command -v zsh") == 0) { /* zsh is not in bootstrap.sh's list: checked where present */
        free(output);
        cr_expect_eq(shell(&output, "zsh -n '%s/share/zsh/site-functions/_martlet'", prefix), 0, "%s", output);
    }
    free(output);

    cr_assert_eq(shell(&output, MAKE " uninstall PREFIX='%s'", prefix), 0, "make uninstall: %s", output);
    free(output);
    cr_expect_eq(entries_in(prefix), 0, "uninstall leaves the prefix empty");
    free(prefix);
    free(elsewhere);
    test_remove_directory(directory);
}
