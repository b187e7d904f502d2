/*
 * relation — the small expressions of expect.check: values captured by steps, related to each
 * other ("${uid} < ${uidnext}", "sum(${size}) == ${total}", "distinct(${uidl})").
 *
 * A check is one comparison of two arithmetic expressions, or distinct(${list}) alone:
 *
 *   check  := expr ("==" | "!=" | "<" | "<=" | ">" | ">=") expr  |  "distinct(" var ")"
 *   expr   := term (("+" | "-") term)*          term := atom ("*" atom)*
 *   atom   := integer | var | "(" expr ")" | ("count" | "sum" | "min" | "max") "(" var ")"
 *           | "octets(" var ")"
 *   var    := "${" name "}"
 *
 * Variables are looked up by name, never pasted into the text, so a value can hold any bytes.
 * Arithmetic is on 64-bit signed integers; a value used as a number must be decimal digits.
 * `==` and `!=` compare numbers when both sides are numbers, else bytes. count, sum, min, max
 * and distinct take a list (the values a lines_each pattern collected, one per line); octets
 * the byte length of a single value.
 */
#ifndef MC_ENGINE_RELATION_H
#define MC_ENGINE_RELATION_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* Where an expression finds its values at run time. */
struct mc_relation_env {
    /* A single value: true and (value, len); false when `name` is unset or a list. */
    bool (*scalar)(void *ctx, const char *name, const char **value, size_t *len);
    /* A list: its values, or NULL when `name` is unset or a single value. */
    const struct mc_strv *(*list)(void *ctx, const char *name);
    void *ctx;
};

/* Longest check accepted (a check is a line a student reads, not a program). */
#define MC_RELATION_TEXT_MAX 500

/* Load time: 0 when `src` is a well-formed check, else -1 with a message (and the offset) in
   `err`. `use` (may be NULL) hears of each variable and whether it is used as a list. */
int mc_relation_parse(const char *src, void (*use)(const char *name, bool as_list, void *ctx),
                      void *ctx, struct mc_buf *err);

/* Run time: 1 when the check holds; 0 when it does not, `why` showing every value it used; -1
   when it cannot be evaluated (a value that is not a number, an unset variable, an overflow),
   `why` saying which. */
int mc_relation_eval(const char *src, const struct mc_relation_env *env, struct mc_buf *why);

#endif
