/*
 * date — proleptic Gregorian calendar arithmetic and the English month abbreviations that
 * RFC 5322 (3.3 date-time) and IMAP (RFC 3501/9051 date-month) write.
 *
 * Only what both the message generator and the reference server need: days since the epoch of
 * a civil date (no time zones, no leap seconds; any year, also before 1970 and year 0), days in
 * a month, and the month names. Formatting and parsing stay with their callers, whose syntaxes
 * differ.
 */
#ifndef MC_LIB_DATE_H
#define MC_LIB_DATE_H

#include <stdint.h>

/* "Jan" .. "Dec", index 0 .. 11 (struct tm's tm_mon). */
extern const char *const mc_month_names[12];

/* Days since 1970-01-01 of year-month-day (month 1..12, day 1..31; not checked against the
   month), negative before 1970. */
int64_t mc_days_from_civil(int64_t year, int month, int day);
/* Days in month 1..12 of year: 28..31. */
int mc_days_in_month(int64_t year, int month);

#endif
