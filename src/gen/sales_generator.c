/* sales_generator.c -- a store's report and daily increments, shaped like
 * the real 2024 exports of its reporting API.
 *
 * Writes, under the output folder:
 *   report.json                      the report's dates, as get_report gives them
 *   user_order_log.csv, customer_research.csv, user_activity_log.csv,
 *   price_log.csv                    the full report: 91 days from 2024-01-01
 *   increments/YYYY-MM-DD/...       the same four files for each of 7 days after it
 * The report and the first increment are in the old format (no status);
 * later increments end with status, ~3% of their lines refunded. Like the
 * real exports: 12 items, 3 cities, quantities 1-5, every order line
 * repeated as identical copies (about 4.4 on average; only the leading row
 * number differs), CRLF line ends, price_log without a header. About 220
 * distinct lines a day at scale 1. Memory holds one day of lines. */
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

#define REPORT_FIRST_YEAR 2024
#define REPORT_DAYS 91
#define INCREMENT_DAYS 7

static const struct {
    const char *name;
    int price;
} items[] = {
    {"Молоко 1%", 100}, {"Молоко 3%", 120}, {"Молоко 5%", 140},
    {"Устройство для нагревания табака Трубка Мира", 500}, {"Сахар песок", 80}, {"Яблоко молодильное", 300},
    {"Яблоко", 60}, {"Средство для мытья посуды", 150}, {"Лампочка LED", 90}, {"Ручка шариковая", 45},
    {"Томаты", 50}, {"Хлеб ржаной", 40},
};
#define ITEM_COUNT 12
static const char *const cities[] = {"Москва", "Ростов", "Ярославль"};
static const char *const first_names[] = {"Константин", "Оксана", "Петр", "Мария", "Иван", "Анна", "Сергей", "Ольга"};
static const char *const last_names[] = {"Васильев", "Морозова", "Соколов", "Иванова", "Петров", "Смирнова"};

struct order_line {
    char uniq_id[33];
    int city_id;
    int64_t customer_id;
    int item_id;
    int quantity;
    bool refunded;
    int copies;
};

struct sales {
    struct random random;
    int64_t lines_per_day;
    int64_t customer_count;
    struct order_line *day;          /* one day's distinct lines */
    int64_t *row_order;              /* shuffled (line, copy) slots */
};

static void date_text(int64_t day, char text[11]) {
    int year, month, date;
    value_civil_from_days(day, &year, &month, &date);
    snprintf(text, 11, "%04d-%02d-%02d", year, month, date);
}

/* A customer's name and city follow from the id, as in a real customer base. */
static void customer_profile(int64_t customer, const char **first, const char **last, int *city) {
    *first = first_names[customer % 8];
    *last = last_names[(customer / 8) % 6];
    *city = (int)((customer * 7) % 3);
}

/* Draws one day's distinct order lines. Customers come from a pool small
 * enough that some buy the same item twice in a week (returning). */
static void plan_day(struct sales *sales, bool with_refunds) {
    struct random *random = &sales->random;
    for (int64_t i = 0; i < sales->lines_per_day; i++) {
        struct order_line *line = &sales->day[i];
        uint64_t a = random_next(random), b = random_next(random);
        snprintf(line->uniq_id, sizeof line->uniq_id, "%016" PRIx64 "%016" PRIx64, a, b);
        line->customer_id = 1 + (int64_t)random_below(random, (uint64_t)sales->customer_count);
        const char *first, *last;
        customer_profile(line->customer_id, &first, &last, &line->city_id);
        line->item_id = (int)random_below(random, ITEM_COUNT);
        line->quantity = 1 + (int)random_below(random, 5);
        line->refunded = with_refunds && random_below(random, 100) < 3;
        line->copies = 1 + (int)random_below(random, 8); /* 1..8, mean 4.5 */
    }
}

/* Writes the day's lines, every copy, in shuffled order. */
static void write_order_day(struct sales *sales, struct generated_file *out, int64_t day, bool with_status) {
    char date[11];
    date_text(day, date);
    int64_t slots = 0;
    for (int64_t i = 0; i < sales->lines_per_day; i++)
        for (int c = 0; c < sales->day[i].copies; c++) sales->row_order[slots++] = i;
    for (int64_t i = slots - 1; i > 0; i--) {
        int64_t j = (int64_t)random_below(&sales->random, (uint64_t)i + 1);
        int64_t swap = sales->row_order[i];
        sales->row_order[i] = sales->row_order[j];
        sales->row_order[j] = swap;
    }
    for (int64_t s = 0; s < slots; s++) {
        const struct order_line *line = &sales->day[sales->row_order[s]];
        const char *first, *last;
        int city;
        customer_profile(line->customer_id, &first, &last, &city);
        fprintf(out->file, "%" PRId64 ",%s,%sT00:00:00,%d,%s,%" PRId64 ",%s,%s,%d,%s,%d,%d", ++out->rows, line->uniq_id,
                date, city, cities[city], line->customer_id, first, last, line->item_id, items[line->item_id].name,
                line->quantity, line->quantity * items[line->item_id].price);
        if (with_status) fprintf(out->file, ",%s", line->refunded ? "refunded" : "shipped");
        fputs("\r\n", out->file);
    }
}

static void write_research_day(struct sales *sales, struct generated_file *out, int64_t day) {
    char date[11];
    date_text(day, date);
    for (int category = 1001; category <= 1005; category++) {
        for (int geo = 1; geo <= 3; geo++) {
            int quantity = 1 + (int)random_below(&sales->random, 20);
            fprintf(out->file, "%sT00:00:00,%d,%d,%d,%d\r\n", date, category, geo, quantity,
                    quantity * (50 + (int)random_below(&sales->random, 200)));
            out->rows++;
        }
    }
}

static void write_activity_day(struct sales *sales, struct generated_file *out, int64_t day) {
    char date[11];
    date_text(day, date);
    int64_t count = 1 + sales->lines_per_day / 20;
    for (int64_t i = 0; i < count; i++) {
        uint64_t a = random_next(&sales->random), b = random_next(&sales->random);
        fprintf(out->file, "%" PRId64 ",%016" PRIx64 "%016" PRIx64 ",%sT00:00:00,%d,%" PRId64 ",%d\r\n", ++out->rows, a, b,
                date, (int)random_below(&sales->random, 4),
                1 + (int64_t)random_below(&sales->random, (uint64_t)sales->customer_count),
                1 + (int)random_below(&sales->random, 30));
    }
}

static const char order_header[] =
    "id,uniq_id,date_time,city_id,city_name,customer_id,first_name,last_name,item_id,item_name,quantity,payment_amount";

/* Writes one set of the four files covering [first_day, first_day + days). */
static int write_period(struct sales *sales, const char *directory, int64_t first_day, int days, bool with_status,
                        struct error *err) {
    if (files_make_directories(directory, err) != 0) return -1;
    char header[256];
    snprintf(header, sizeof header, "%s%s\r\n", order_header, with_status ? ",status" : "");
    struct generated_file orders, research, activity, prices;
    if (generated_file_open(&orders, directory, "user_order_log.csv", header, err) != 0) return -1;
    if (generated_file_open(&research, directory, "customer_research.csv", "date_id,category_id,geo_id,sales_qty,sales_amt\r\n",
                  err) != 0 ||
        generated_file_open(&activity, directory, "user_activity_log.csv",
                  "id,uniq_id,date_time,action_id,customer_id,quantity\r\n", err) != 0 ||
        generated_file_open(&prices, directory, "price_log.csv", NULL, err) != 0)
        return -1;
    for (int d = 0; d < days; d++) {
        plan_day(sales, with_status);
        write_order_day(sales, &orders, first_day + d, with_status);
        write_research_day(sales, &research, first_day + d);
        write_activity_day(sales, &activity, first_day + d);
    }
    for (int i = 0; i < ITEM_COUNT; i++) fprintf(prices.file, "%s,%d\r\n", items[i].name, items[i].price);
    int status = generated_file_close(&orders, NULL, err);
    if (generated_file_close(&research, NULL, err) != 0) status = -1;
    if (generated_file_close(&activity, NULL, err) != 0) status = -1;
    if (generated_file_close(&prices, NULL, err) != 0) status = -1;
    return status;
}

static int write_report_json(const char *directory, int64_t first_day, int64_t last_day, struct error *err) {
    char first[11], last[11], text[256];
    date_text(first_day, first);
    date_text(last_day, last);
    int length = snprintf(text, sizeof text,
                          "{\"report_id\": \"generated-%s\", \"start_day\": \"%s 00:00:00\", \"end_date\": \"%s 00:00:00\"}\n",
                          first, first, last);
    char *path = files_join(directory, "report.json");
    int status = files_write_all(path, text, (size_t)length, err);
    free(path);
    return status;
}

/* Writes the report and the increments into options->directory. */
int generator_sales(const struct generator_options *options, struct generator_report *report, struct error *err) {
    memset(report, 0, sizeof *report);
    if (!(options->scale > 0) || options->scale > 1000) return error_set(err, "scale must be in (0, 1000]");
    struct sales sales = {0};
    random_seed(&sales.random, options->seed);
    sales.lines_per_day = llround(fmax(5, 220 * options->scale));
    sales.customer_count = llround(fmax(40, 2000 * options->scale));
    sales.day = memory_calloc((size_t)sales.lines_per_day, sizeof *sales.day);
    sales.row_order = memory_calloc((size_t)sales.lines_per_day * 8, sizeof *sales.row_order);
    int64_t first_day = value_days_from_civil(REPORT_FIRST_YEAR, 1, 1);
    int status = write_period(&sales, options->directory, first_day, REPORT_DAYS, false, err);
    if (status == 0) status = write_report_json(options->directory, first_day, first_day + REPORT_DAYS - 1, err);
    for (int d = 0; d < INCREMENT_DAYS && status == 0; d++) {
        char date[11], name[64];
        date_text(first_day + REPORT_DAYS + d, date);
        snprintf(name, sizeof name, "increments/%s", date);
        char *directory = files_join(options->directory, name);
        status = write_period(&sales, directory, first_day + REPORT_DAYS + d, 1, d > 0, err);
        free(directory);
    }
    if (status == 0) {
        report->files[report->file_count++] = (struct generator_file){"report (91 days)", REPORT_DAYS * sales.lines_per_day, 0};
        report->files[report->file_count++] = (struct generator_file){"increments (7 days)", INCREMENT_DAYS * sales.lines_per_day, 0};
    }
    free(sales.day);
    free(sales.row_order);
    return status;
}
