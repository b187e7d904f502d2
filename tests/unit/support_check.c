/*
 * support_check — running a libcheck suite (see support_check.h).
 */
#include "support_check.h"

#include <stdlib.h>

int mc_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
