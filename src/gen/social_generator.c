/* social_generator.c -- users, groups, group_log and dialogs for the social
 * pipeline, shaped like the real 2021 exports.
 *
 * Sizes at scale 1: 250 groups, 170,000 users, ~890,000 group_log rows,
 * 2,500,000 messages. The dirt of the real files is reproduced on purpose:
 * one bot user in about a fifth of group_log, self-invites, the same add
 * repeated, events dated before their group's registration, group_log users
 * missing from users.csv, messages to unknown groups, quoted text with
 * commas, quotes, tabs and newlines, over-long messages, empty ages and
 * empty message_group. With increments, each day after the history
 * (2021-10-01 on) gets increments/{date}/group_log.csv and dialogs.csv
 * holding that day's new rows (0.2% of the history each). Memory is flat: the only state kept between files
 * is a fixed-size sample of memberships, used so that group messages are
 * mostly written by members (as in real groups). */
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/random.h"
#include "generated_file.h"
#include "generator.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MEMBERSHIP_SAMPLE 65536
#define MICROS_PER_SECOND INT64_C(1000000)
#define MICROS_PER_DAY (86400 * MICROS_PER_SECOND)

struct membership {
    int64_t group_id;
    int64_t user_id;
    int64_t joined_at;
};

struct social {
    struct random random;
    int64_t group_count, user_count, log_rows, message_count;
    int64_t bot_user;
    int64_t *group_registered;          /* per group, microseconds */
    double *group_weight_cumulative;    /* popularity, Zipf-like */
    struct membership *sample;          /* reservoir of add events */
    const char *only;                   /* files to keep, NULL = all */
    int64_t sample_seen;
};

static int64_t micros_of(int year, unsigned month, unsigned day) {
    return value_days_from_civil(year, month, day) * MICROS_PER_DAY;
}

/* ---- writing CSV ---------------------------------------------------------- */

/* True if the options ask for this file (by stem: "group_log"). */
static bool wanted(const char *only, const char *name) {
    if (only == NULL) return true;
    size_t stem = strcspn(name, ".");
    for (const char *item = only; *item; item += strcspn(item, ",") + (item[strcspn(item, ",")] == ',')) {
        size_t length = strcspn(item, ",");
        if (length == stem && strncmp(item, name, stem) == 0) return true;
    }
    return false;
}

/* Opens a generated file; files the options leave out are still drawn
 * (later files use their random state) but go to /dev/null. */
static int output_open(const struct social *social, struct generated_file *out, const char *directory, const char *name,
                       const char *header, struct error *err) {
    return generated_file_open(out, wanted(social->only, name) ? directory : NULL, name, header, err);
}

/* Closes a generated file and lists it in the report if it was wanted. */
static int output_close(const struct social *social, struct generated_file *out, struct generator_report *report,
                        const char *name, struct error *err) {
    long bytes;
    if (generated_file_close(out, &bytes, err) != 0) return -1;
    if (wanted(social->only, name) && report->file_count < GENERATOR_MAX_FILES)
        report->files[report->file_count++] = (struct generator_file){name, out->rows, bytes};
    return 0;
}

/* Writes a timestamp; with_fraction adds the 6-digit microseconds most
 * real rows carry. */
static void write_timestamp(FILE *file, int64_t micros, bool with_fraction) {
    int64_t days = micros / MICROS_PER_DAY, rest = micros % MICROS_PER_DAY;
    if (rest < 0) { rest += MICROS_PER_DAY; days--; }
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    int64_t seconds = rest / MICROS_PER_SECOND;
    fprintf(file, "%04d-%02d-%02d %02d:%02d:%02d", year, month, day, (int)(seconds / 3600), (int)(seconds / 60 % 60),
            (int)(seconds % 60));
    if (with_fraction) fprintf(file, ".%06d", (int)(rest % MICROS_PER_SECOND));
}

static void write_quoted(FILE *file, const char *text, size_t length) {
    fputc('"', file);
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '"') fputc('"', file);
        fputc(text[i], file);
    }
    fputc('"', file);
}

/* ---- words ---------------------------------------------------------------- */

static const char *const words[] = {
    "привет", "как", "дела", "самолеты", "ретро", "музыка", "кино", "двор", "ох", "хах", "фото", "новости",
    "рыбалка", "машины", "котики", "рецепты", "футбол", "книги", "игры", "путешествия", "город", "лето",
    "weekend", "sale", "meetup", "ok", "lol", "спасибо", "да", "нет", "завтра", "сегодня", "встреча", "вопрос",
};
#define WORD_COUNT (sizeof words / sizeof *words)

static void append_words(struct random *random, char *buffer, size_t *length, size_t capacity, int count) {
    for (int i = 0; i < count; i++) {
        const char *word = words[random_below(random, WORD_COUNT)];
        size_t word_length = strlen(word);
        if (*length + word_length + 2 >= capacity) return;
        if (i) buffer[(*length)++] = ' ';
        memcpy(buffer + *length, word, word_length);
        *length += word_length;
    }
}

/* ---- groups --------------------------------------------------------------- */

static void plan_groups(struct social *social) {
    social->group_registered = memory_calloc((size_t)social->group_count, sizeof *social->group_registered);
    social->group_weight_cumulative = memory_calloc((size_t)social->group_count, sizeof(double));
    int64_t first = micros_of(2020, 6, 1), last = micros_of(2021, 5, 31);
    double total = 0;
    for (int64_t g = 0; g < social->group_count; g++) {
        social->group_registered[g] = random_between(&social->random, first, last);
        total += 1.0 / pow((double)(g + 1), 0.8);
        social->group_weight_cumulative[g] = total;
    }
    for (int64_t g = 0; g < social->group_count; g++) social->group_weight_cumulative[g] /= total;
}

/* A group chosen by popularity (binary search over the cumulative weights). */
static int64_t pick_group(struct social *social) {
    double target = random_unit(&social->random);
    int64_t low = 0, high = social->group_count - 1;
    while (low < high) {
        int64_t middle = (low + high) / 2;
        if (social->group_weight_cumulative[middle] < target) low = middle + 1;
        else high = middle;
    }
    /* Popularity follows a shuffled rank, not the id, so old groups are not
     * automatically the big ones. */
    return (low * 7919) % social->group_count;
}

static int write_groups(struct social *social, const char *directory, struct generator_report *report,
                        struct error *err) {
    struct generated_file out;
    if (output_open(social, &out, directory, "groups.csv", "id,admin_id,group_name,registration_dt,is_private\n", err) != 0)
        return -1;
    for (int64_t g = 0; g < social->group_count; g++) {
        char name[200];
        size_t length = 0;
        append_words(&social->random, name, &length, sizeof name, 2 + (int)random_below(&social->random, 3));
        fprintf(out.file, "%" PRId64 ",%" PRId64 ",", g, (int64_t)random_below(&social->random, (uint64_t)social->user_count) + 1);
        if (random_below(&social->random, 20) == 0) write_quoted(out.file, name, length); /* "a, b" names */
        else fwrite(name, 1, length, out.file);
        fputc(',', out.file);
        write_timestamp(out.file, social->group_registered[g], random_below(&social->random, 100) >= 15);
        fprintf(out.file, ",%d\n", (int)random_below(&social->random, 2));
        out.rows++;
    }
    return output_close(social, &out, report, "groups.csv", err);
}

/* ---- users ---------------------------------------------------------------- */

static int write_users(struct social *social, const char *directory, struct generator_report *report,
                       struct error *err) {
    static const char *const countries[] = {"Russia", "Россия", "Belarus", "Kazakhstan", "Ukraine", "Armenia",
                                            "Georgia", "Uzbekistan", "Germany", "Israel"};
    struct generated_file out;
    if (output_open(social, &out, directory, "users.csv", "id,chat_name,registration_dt,country,age\n", err) != 0) return -1;
    int64_t first = micros_of(2019, 6, 1), last = micros_of(2021, 6, 30);
    for (int64_t id = 1; id <= social->user_count; id++) {
        fprintf(out.file, "%" PRId64 ",%s_%" PRIu64 ",", id, words[random_below(&social->random, WORD_COUNT)],
                random_below(&social->random, 100000));
        write_timestamp(out.file, random_between(&social->random, first, last), true);
        fprintf(out.file, ",%s,", countries[random_below(&social->random, 10)]);
        if (random_below(&social->random, 10) != 0) fprintf(out.file, "%d", 14 + (int)random_below(&social->random, 60));
        fputc('\n', out.file);
        out.rows++;
    }
    return output_close(social, &out, report, "users.csv", err);
}

/* ---- group_log ------------------------------------------------------------ */

/* Keeps a uniform sample of memberships in fixed memory (reservoir). */
static void remember_membership(struct social *social, int64_t group, int64_t user, int64_t at) {
    int64_t seen = social->sample_seen++;
    int64_t slot = seen < MEMBERSHIP_SAMPLE ? seen : (int64_t)random_below(&social->random, (uint64_t)seen + 1);
    if (slot < MEMBERSHIP_SAMPLE) social->sample[slot] = (struct membership){group, user, at};
}

static int64_t pick_user(struct social *social) {
    if (random_below(&social->random, 1000) == 0) /* orphan: not in users.csv */
        return social->user_count + 1 + (int64_t)random_below(&social->random, 1000);
    return 1 + (int64_t)random_below(&social->random, (uint64_t)social->user_count);
}

static void write_log_row(struct social *social, FILE *file, int64_t group, int64_t user, int64_t from,
                          const char *event, int64_t at) {
    fprintf(file, "%" PRId64 ",%" PRId64 ",", group, user);
    if (from > 0) fprintf(file, "%" PRId64, from);
    fprintf(file, ",%s,", event);
    write_timestamp(file, at, false);
    fputc('\n', file);
    if (strcmp(event, "add") == 0) remember_membership(social, group, user, at);
}

/* One event: mostly adds, some leaves; a fifth by the bot; a few dated
 * before the group existed; some invited, a few self-invited. */
static void write_event(struct social *social, FILE *file, int64_t end) {
    struct random *random = &social->random;
    int64_t group = pick_group(social);
    bool bot = random_below(random, 100) < 21;
    int64_t user = bot ? social->bot_user : pick_user(social);
    const char *event = random_below(random, 100) < (bot ? 55 : 80) ? "add" : "leave";
    int64_t registered = social->group_registered[group];
    int64_t at = random_below(random, 1000) < 63 ? registered - random_between(random, 1, 30 * MICROS_PER_DAY)
                                                 : random_between(random, registered, end);
    int64_t from = 0;
    unsigned invite = (unsigned)random_below(random, 1000);
    if (strcmp(event, "add") == 0 && invite < 350) from = 1 + (int64_t)random_below(random, (uint64_t)social->user_count);
    else if (strcmp(event, "add") == 0 && invite < 359) from = user;
    write_log_row(social, file, group, user, from, event, at - at % MICROS_PER_SECOND);
}

static int write_group_log(struct social *social, const char *directory, struct generator_report *report,
                           struct error *err) {
    struct generated_file out;
    if (output_open(social, &out, directory, "group_log.csv", "group_id,user_id,user_id_from,event,datetime\n", err) != 0)
        return -1;
    int64_t end = micros_of(2021, 9, 30);
    for (int64_t g = 0; g < social->group_count; g++) { /* every group starts with its creation */
        write_log_row(social, out.file, g, 1 + (int64_t)random_below(&social->random, (uint64_t)social->user_count), 0,
                      "create", social->group_registered[g] - social->group_registered[g] % MICROS_PER_SECOND);
        out.rows++;
    }
    for (; out.rows < social->log_rows; out.rows++) {
        if (random_below(&social->random, 50) == 0 && social->sample_seen > 0) { /* the same add, again */
            struct membership *again = &social->sample[random_below(&social->random,
                (uint64_t)(social->sample_seen < MEMBERSHIP_SAMPLE ? social->sample_seen : MEMBERSHIP_SAMPLE))];
            write_log_row(social, out.file, again->group_id, again->user_id, 0, "add",
                          again->joined_at + random_between(&social->random, 1, 3600) * MICROS_PER_SECOND);
            continue;
        }
        write_event(social, out.file, end);
    }
    return output_close(social, &out, report, "group_log.csv", err);
}

/* ---- dialogs -------------------------------------------------------------- */

/* Message text: words, sometimes with the characters that break naive CSV
 * code, sometimes very long. */
static size_t make_message(struct random *random, char *text, size_t capacity) {
    size_t length = 0;
    unsigned kind = (unsigned)random_below(random, 1000);
    int word_count = kind < 5 ? 200 + (int)random_below(random, 400) : 1 + (int)random_below(random, 15);
    append_words(random, text, &length, capacity, word_count);
    static const char *const dirt[] = {", ну да", " \"цитата\"", "\nвторая строка", "\tтаб", "; а, б, в", "\r\nCRLF"};
    if (kind >= 5 && kind < 200) {
        const char *extra = dirt[random_below(random, sizeof dirt / sizeof *dirt)];
        size_t extra_length = strlen(extra);
        if (length + extra_length < capacity) { memcpy(text + length, extra, extra_length); length += extra_length; }
    }
    return length;
}

/* The group and author of a group message: mostly a sampled member, after
 * joining; sometimes a non-member or an unknown group. */
static void pick_group_author(struct social *social, int64_t *group, int64_t *author, int64_t *at) {
    struct random *random = &social->random;
    unsigned roll = (unsigned)random_below(random, 1000);
    int64_t sampled = social->sample_seen < MEMBERSHIP_SAMPLE ? social->sample_seen : MEMBERSHIP_SAMPLE;
    if (roll < 700 && sampled > 0) {
        const struct membership *member = &social->sample[random_below(random, (uint64_t)sampled)];
        *group = member->group_id;
        *author = member->user_id;
        *at = member->joined_at + random_between(random, 60, 45 * 86400) * MICROS_PER_SECOND;
        return;
    }
    *group = roll < 999 ? pick_group(social) : social->group_count + 1000; /* unknown group */
    *author = 1 + (int64_t)random_below(random, (uint64_t)social->user_count);
    *at = social->group_registered[*group % social->group_count] + random_between(random, 0, 120 * MICROS_PER_DAY);
}

/* One dialogs row; group < 0 leaves message_group empty. */
static void write_message(struct social *social, FILE *file, int64_t id, int64_t at, int64_t author, int64_t group) {
    static char text[8192];
    int64_t to = 1 + (int64_t)random_below(&social->random, (uint64_t)social->user_count);
    fprintf(file, "%" PRId64 ",", id);
    write_timestamp(file, at, true);
    fprintf(file, ",%" PRId64 ",%" PRId64 ",", author, to);
    write_quoted(file, text, make_message(&social->random, text, sizeof text));
    fputc(',', file);
    if (group >= 0) fprintf(file, "%" PRId64, group);
    fputc('\n', file);
}

static int write_dialogs(struct social *social, const char *directory, struct generator_report *report,
                         struct error *err) {
    struct generated_file out;
    if (output_open(social, &out, directory, "dialogs.csv", "message_id,message_ts,message_from,message_to,message,message_group\n",
                    err) != 0)
        return -1;
    int64_t first = micros_of(2020, 6, 1), last = micros_of(2021, 9, 30);
    for (int64_t id = 1; id <= social->message_count; id++) {
        int64_t group = -1, author, at;
        if (random_below(&social->random, 100) < 25) {
            pick_group_author(social, &group, &author, &at);
        } else {
            author = 1 + (int64_t)random_below(&social->random, (uint64_t)social->user_count);
            at = random_between(&social->random, first, last);
        }
        write_message(social, out.file, id, at, author, group);
        out.rows++;
    }
    return output_close(social, &out, report, "dialogs.csv", err);
}

/* ---- increments ----------------------------------------------------------- */

/* One day's new rows after the history: group_log events and messages all
 * dated that day, messages numbered on from the history's last id. Each
 * day holds 0.2% of the history's rows, like a real daily export. */
static int write_increment(struct social *social, const char *directory, int day, int64_t *next_message_id,
                           int64_t totals[2], struct error *err) {
    struct random *random = &social->random;
    int64_t start = micros_of(2021, 10, 1) + day * MICROS_PER_DAY, end = start + MICROS_PER_DAY - 1;
    char name[64];
    int year, month, month_day;
    value_civil_from_days(start / MICROS_PER_DAY, &year, &month, &month_day);
    snprintf(name, sizeof name, "increments/%04d-%02d-%02d", year, month, month_day);
    char *folder = files_join(directory, name);
    int status = files_make_directories(folder, err);
    struct generated_file out;
    const char *log_folder = wanted(social->only, "group_log.csv") ? folder : NULL;
    if (status == 0)
        status = generated_file_open(&out, log_folder, "group_log.csv", "group_id,user_id,user_id_from,event,datetime\n", err);
    if (status == 0) {
        for (int64_t row = 0; row < llround(fmax(5, (double)social->log_rows * 0.002)); row++, out.rows++) {
            int64_t group = pick_group(social);
            int64_t user = random_below(random, 100) < 21 ? social->bot_user : pick_user(social);
            bool add = random_below(random, 100) < 80;
            int64_t from = add && random_below(random, 1000) < 350 ? 1 + (int64_t)random_below(random, (uint64_t)social->user_count) : 0;
            int64_t at = random_between(random, start, end);
            write_log_row(social, out.file, group, user, from, add ? "add" : "leave", at - at % MICROS_PER_SECOND);
        }
        if (log_folder) totals[0] += out.rows;
        long bytes;
        status = generated_file_close(&out, &bytes, err);
    }
    const char *dialogs_folder = wanted(social->only, "dialogs.csv") ? folder : NULL;
    if (status == 0)
        status = generated_file_open(&out, dialogs_folder, "dialogs.csv",
                                     "message_id,message_ts,message_from,message_to,message,message_group\n", err);
    if (status == 0) {
        for (int64_t row = 0; row < llround(fmax(10, (double)social->message_count * 0.002)); row++, out.rows++) {
            int64_t group = -1, author, ignored;
            if (random_below(random, 100) < 25) pick_group_author(social, &group, &author, &ignored);
            else author = 1 + (int64_t)random_below(random, (uint64_t)social->user_count);
            write_message(social, out.file, (*next_message_id)++, random_between(random, start, end), author, group);
        }
        if (dialogs_folder) totals[1] += out.rows;
        long bytes;
        status = generated_file_close(&out, &bytes, err);
    }
    free(folder);
    return status;
}

/* Writes users.csv, groups.csv, group_log.csv and dialogs.csv into the
 * options' directory (created if missing). */
int generator_social(const struct generator_options *options, struct generator_report *report, struct error *err) {
    memset(report, 0, sizeof *report);
    if (!(options->scale > 0) || options->scale > 1000) return error_set(err, "scale must be in (0, 1000]");
    if (files_make_directories(options->directory, err) != 0) return -1;
    struct social social = {0};
    random_seed(&social.random, options->seed);
    social.group_count = llround(fmax(10, 250 * options->scale));
    social.user_count = llround(fmax(200, 170000 * options->scale));
    social.log_rows = llround(fmax(500, 889760 * options->scale));
    social.message_count = llround(fmax(1000, 2500000 * options->scale));
    social.bot_user = social.user_count * 7 / 8;
    social.sample = memory_calloc(MEMBERSHIP_SAMPLE, sizeof *social.sample);
    social.only = options->only;
    plan_groups(&social);
    int status = write_groups(&social, options->directory, report, err);
    if (status == 0) status = write_users(&social, options->directory, report, err);
    if (status == 0) status = write_group_log(&social, options->directory, report, err);
    if (status == 0 && (wanted(options->only, "dialogs.csv") || options->increments > 0))
        status = write_dialogs(&social, options->directory, report, err);
    int64_t next_message_id = social.message_count + 1, totals[2] = {0, 0};
    for (int day = 0; status == 0 && day < options->increments; day++)
        status = write_increment(&social, options->directory, day, &next_message_id, totals, err);
    if (status == 0 && options->increments > 0) {
        report->files[report->file_count++] = (struct generator_file){"increments/*/group_log.csv", totals[0], 0};
        report->files[report->file_count++] = (struct generator_file){"increments/*/dialogs.csv", totals[1], 0};
    }
    free(social.sample);
    free(social.group_registered);
    free(social.group_weight_cumulative);
    return status;
}
