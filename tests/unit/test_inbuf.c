/*
 * test_inbuf — a connection's contiguous input: lines found across any split, each octet
 * examined for a line end once however often the owner looks (a long literal arriving in small
 * reads costs linear time, not quadratic), the consumed prefix compacted away, and a block that
 * grew for one long input given back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/inbuf.h"
#include "support_check.h"

static void add(struct mc_inbuf *b, const char *s, size_t n)
{
    memcpy(mc_inbuf_space(b, n), s, n);
    mc_inbuf_added(b, n);
}

START_TEST(lines_across_pieces)
{
    struct mc_inbuf b = {0};
    size_t total = 0;
    bool bare = false;
    add(&b, "* OK rea", 8);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), -1);
    add(&b, "dy\r", 3);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), -1);
    add(&b, "\nA1 OK\nrest", 11);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), 10);
    ck_assert_uint_eq(total, 12);
    ck_assert(!bare);
    /* Looking again without consuming finds the same line. */
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), 10);
    ck_assert_int_eq(memcmp(mc_inbuf_data(&b), "* OK ready\r\n", 12), 0);
    mc_inbuf_consume(&b, total);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), 5);
    ck_assert_uint_eq(total, 6);
    ck_assert(bare);
    mc_inbuf_consume(&b, total);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), -1);
    ck_assert_uint_eq(mc_inbuf_length(&b), 4);
    ck_assert_int_eq(memcmp(mc_inbuf_data(&b), "rest", 4), 0);
    /* An empty line and a lone LF. */
    add(&b, "\r\n\n", 3);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), 4);
    mc_inbuf_consume(&b, total);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), 0);
    ck_assert(bare);
    ck_assert_uint_eq(total, 1);
    mc_inbuf_free(&b);
}
END_TEST

/* 32 MiB without a line end in 4 KiB reads, the owner looking for a line after each (as a
   framer does while an IMAP literal arrives): every octet is examined once. Searching from the
   start each time would examine 4096 times as much. */
#define LINEAR_TOTAL (32u * 1024u * 1024u)
#define LINEAR_PIECE 4096u
START_TEST(search_is_linear)
{
    struct mc_inbuf b = {0};
    char *piece = malloc(LINEAR_PIECE);
    memset(piece, 'x', LINEAR_PIECE);
    size_t total;
    bool bare;
    for (size_t got = 0; got < LINEAR_TOTAL; got += LINEAR_PIECE) {
        add(&b, piece, LINEAR_PIECE);
        ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), -1);
    }
    add(&b, "\r\n", 2);
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), (long)LINEAR_TOTAL);
    ck_assert_uint_le(b.scan_work, (size_t)LINEAR_TOTAL + 2);
    /* Consuming a literal's worth leaves nothing rescanned either. */
    mc_inbuf_consume(&b, LINEAR_TOTAL / 2);
    size_t before = b.scan_work;
    ck_assert_int_eq(mc_inbuf_find_line(&b, &total, &bare), (long)LINEAR_TOTAL / 2);
    ck_assert_uint_le(b.scan_work - before, 2);
    free(piece);
    mc_inbuf_free(&b);
}
END_TEST

/* Lines in, lines out, for much longer than the first block: the consumed prefix is moved away
   (the block does not grow with the total) and every byte comes out in order. */
START_TEST(compaction_keeps_order)
{
    struct mc_inbuf b = {0};
    char line[32];
    unsigned next_out = 0;
    size_t max_cap = 0;
    for (unsigned i = 0; i < 200000; i++) {
        int n = snprintf(line, sizeof line, "* %u EXISTS\r\n", i);
        add(&b, line, (size_t)n);
        if (b.cap > max_cap)
            max_cap = b.cap;
        size_t total;
        bool bare;
        while (i % 7 == 6 && mc_inbuf_find_line(&b, &total, &bare) >= 0) {
            n = snprintf(line, sizeof line, "* %u EXISTS\r\n", next_out++);
            ck_assert_uint_eq(total, (size_t)n);
            ck_assert_int_eq(memcmp(mc_inbuf_data(&b), line, total), 0);
            mc_inbuf_consume(&b, total);
        }
    }
    ck_assert_uint_ge(next_out, 199990);
    ck_assert_uint_le(max_cap, 64 * 1024);
    mc_inbuf_free(&b);
}
END_TEST

/* A block grown for one long input is given back: freed once emptied, shrunk when a little is
   left over. */
START_TEST(large_block_given_back)
{
    struct mc_inbuf b = {0};
    size_t big = 8u * 1024u * 1024u;
    char *data = malloc(big);
    memset(data, 'y', big);
    add(&b, data, big);
    ck_assert_uint_ge(b.cap, big);
    mc_inbuf_consume(&b, big);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_ptr_null(b.data);

    add(&b, data, big);
    add(&b, ")\r\n", 3);
    mc_inbuf_consume(&b, big);
    add(&b, "A1 OK\r\n", 7); /* the consumed prefix is compacted away and the block shrinks */
    ck_assert_uint_le(b.cap, 256u * 1024u);
    ck_assert_uint_eq(mc_inbuf_length(&b), 10);
    ck_assert_int_eq(memcmp(mc_inbuf_data(&b), ")\r\nA1 OK\r\n", 10), 0);
    mc_inbuf_clear(&b);
    ck_assert_uint_eq(mc_inbuf_length(&b), 0);
    free(data);
    mc_inbuf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inbuf");
    TCase *tc = tcase_create("inbuf");
    tcase_add_test(tc, lines_across_pieces);
    tcase_add_test(tc, search_is_linear);
    tcase_add_test(tc, compaction_keeps_order);
    tcase_add_test(tc, large_block_given_back);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
