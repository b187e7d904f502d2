/*
 * date — civil-date arithmetic and month names (see date.h).
 *
 * mc_days_from_civil is Howard Hinnant's days_from_civil: the year is shifted to start in March
 * (so the leap day comes last), split into 400-year eras of 146097 days, and the day of the era
 * computed from the year of the era and the day of the shifted year.
 */
#include "lib/date.h"

#include <stdbool.h>

const char *const mc_month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int64_t mc_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                  /* 0 .. 399 */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* 0 .. 365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* 0 .. 146096 */
    return era * 146097 + doe - 719468;
}

int mc_days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}
