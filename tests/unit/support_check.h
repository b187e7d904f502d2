/*
 * support_check — what every unit test's main() ends with: run the suite, say how it went.
 */
#ifndef MC_TEST_SUPPORT_CHECK_H
#define MC_TEST_SUPPORT_CHECK_H

#include <check.h>

/* Runs every test of `s` (libcheck, CK_NORMAL output); EXIT_SUCCESS when none failed. */
int mc_check_run(Suite *s);

#endif
