/*
 * imap_search — the SEARCH program of the reference IMAP server (see imap_search.h), parsed:
 * the search keys of RFC 3501 / RFC 9051 6.4.4 turned into a tree, with the RETURN options of
 * RFC 4731 and the CHARSET argument before them. The keys are a table (name, node kind,
 * argument syntax, the error when the argument is missing), so a key is one line here.
 *
 * The tree (imap_search_int.h) is an AND node for the program (and for every parenthesised
 * list), NOT and OR nodes, and leaves. String arguments are case-folded once, when parsed, into
 * a needle with its Knuth-Morris-Pratt table (imap_search_text.c). A node is marked costly when
 * it or a descendant needs the message's content, so that imap_search_match.c can test the
 * cheap keys of a list first. Nesting and the number of keys are bounded
 * (IMAP_SEARCH_DEPTH_MAX, IMAP_SEARCH_KEYS_MAX).
 */
#include "reference/imap_search.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "reference/imap_search_int.h"

/* ---- the keys ---- */

enum arg_kind {
    ARG_NONE,
    ARG_STRING,  /* astring */
    ARG_HEADER,  /* header-fld-name SP astring */
    ARG_DATE,    /* date */
    ARG_NUMBER,  /* number (number64 in RFC 9051) */
    ARG_SEQSET,  /* sequence-set */
    ARG_KEYWORD, /* flag-keyword (an atom) */
    ARG_MODSEQ,  /* [entry-name SP entry-type-req SP] mod-sequence-valzer (RFC 7162) */
    ARG_KEY,     /* search-key */
    ARG_KEY2,    /* search-key SP search-key */
};

struct key_def {
    const char *name;
    enum imap_search_kind kind;
    enum arg_kind arg;
    unsigned flag;     /* K_FLAG / K_UNFLAG */
    const char *field; /* K_HEADER with a fixed field */
    const char *need;  /* the error when the argument is missing */
};

static const struct key_def KEYS[] = {
    {"ALL", K_ALL, ARG_NONE, 0, NULL, NULL},
    {"ANSWERED", K_FLAG, ARG_NONE, MS_FLAG_ANSWERED, NULL, NULL},
    {"BCC", K_HEADER, ARG_STRING, 0, "Bcc", "BCC needs a string"},
    {"BEFORE", K_BEFORE, ARG_DATE, 0, NULL, "BEFORE needs a date"},
    {"BODY", K_BODY, ARG_STRING, 0, NULL, "BODY needs a string"},
    {"CC", K_HEADER, ARG_STRING, 0, "Cc", "CC needs a string"},
    {"DELETED", K_FLAG, ARG_NONE, MS_FLAG_DELETED, NULL, NULL},
    {"DRAFT", K_FLAG, ARG_NONE, MS_FLAG_DRAFT, NULL, NULL},
    {"FLAGGED", K_FLAG, ARG_NONE, MS_FLAG_FLAGGED, NULL, NULL},
    {"FROM", K_HEADER, ARG_STRING, 0, "From", "FROM needs a string"},
    {"HEADER", K_HEADER, ARG_HEADER, 0, NULL, "HEADER needs a field name and a string"},
    {"KEYWORD", K_KEYWORD, ARG_KEYWORD, 0, NULL, "KEYWORD needs a keyword"},
    {"LARGER", K_LARGER, ARG_NUMBER, 0, NULL, "LARGER needs a number"},
    {"MODSEQ", K_MODSEQ, ARG_MODSEQ, 0, NULL, "MODSEQ needs a mod-sequence"},
    {"NEW", K_NEW, ARG_NONE, 0, NULL, NULL},
    {"NOT", K_NOT, ARG_KEY, 0, NULL, "NOT needs a search key"},
    {"OLD", K_OLD, ARG_NONE, 0, NULL, NULL},
    {"ON", K_ON, ARG_DATE, 0, NULL, "ON needs a date"},
    {"OR", K_OR, ARG_KEY2, 0, NULL, "OR needs two search keys"},
    {"RECENT", K_RECENT, ARG_NONE, 0, NULL, NULL},
    {"SEEN", K_FLAG, ARG_NONE, MS_FLAG_SEEN, NULL, NULL},
    {"SENTBEFORE", K_SENTBEFORE, ARG_DATE, 0, NULL, "SENTBEFORE needs a date"},
    {"SENTON", K_SENTON, ARG_DATE, 0, NULL, "SENTON needs a date"},
    {"SENTSINCE", K_SENTSINCE, ARG_DATE, 0, NULL, "SENTSINCE needs a date"},
    {"SINCE", K_SINCE, ARG_DATE, 0, NULL, "SINCE needs a date"},
    {"SMALLER", K_SMALLER, ARG_NUMBER, 0, NULL, "SMALLER needs a number"},
    {"SUBJECT", K_HEADER, ARG_STRING, 0, "Subject", "SUBJECT needs a string"},
    {"TEXT", K_TEXT, ARG_STRING, 0, NULL, "TEXT needs a string"},
    {"TO", K_HEADER, ARG_STRING, 0, "To", "TO needs a string"},
    {"UID", K_UID, ARG_SEQSET, 0, NULL, "UID needs a sequence set"},
    {"UNANSWERED", K_UNFLAG, ARG_NONE, MS_FLAG_ANSWERED, NULL, NULL},
    {"UNDELETED", K_UNFLAG, ARG_NONE, MS_FLAG_DELETED, NULL, NULL},
    {"UNDRAFT", K_UNFLAG, ARG_NONE, MS_FLAG_DRAFT, NULL, NULL},
    {"UNFLAGGED", K_UNFLAG, ARG_NONE, MS_FLAG_FLAGGED, NULL, NULL},
    {"UNKEYWORD", K_UNKEYWORD, ARG_KEYWORD, 0, NULL, "UNKEYWORD needs a keyword"},
    {"UNSEEN", K_UNFLAG, ARG_NONE, MS_FLAG_SEEN, NULL, NULL},
};

/* ---- the tree ---- */

static struct imap_search_node *node_new(enum imap_search_kind kind)
{
    struct imap_search_node *n = mc_xcalloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

static void node_free(struct imap_search_node *n)
{
    while (n) {
        struct imap_search_node *next = n->next;
        node_free(n->child); /* depth bounded by IMAP_SEARCH_DEPTH_MAX */
        imap_seqset_free(&n->set);
        free(n->text);
        imap_search_needle_free(&n->needle);
        free(n);
        n = next;
    }
}

/* Appends child to parent's children (tail kept by the caller). */
static void node_append(struct imap_search_node *parent, struct imap_search_node **tail,
                        struct imap_search_node *child)
{
    if (*tail)
        (*tail)->next = child;
    else
        parent->child = child;
    *tail = child;
    if (child->costly)
        parent->costly = true;
}

/* ---- parsing the program ---- */

struct pctx {
    struct imap_parser *ps;
    size_t keys;
    struct mc_buf tmp;
};

static struct imap_search_node *parse_key(struct pctx *pc, unsigned depth);

static const struct key_def *key_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (imap_search_ascii_eq(name, KEYS[i].name))
            return &KEYS[i];
    return NULL;
}

/* Does the input continue with `word` (any case) followed by a space or the end? */
static bool peek_word(const struct imap_parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || !imap_search_ascii_eq_n(ps->p, n, word))
        return false;
    return ps->p + n == ps->end || ps->p[n] == ' ';
}

/* ATOM-CHAR of RFC 9051 9 (any CHAR except atom-specials). */
static bool is_atom_char(char c)
{
    return c > 0x20 && c < 0x7F && !strchr("(){ %*\"\\]", c);
}

/* Can a search key start here: "(", a sequence set or an atom? */
static bool key_can_start(const struct imap_parser *ps)
{
    return ps->p < ps->end && (*ps->p == '(' || *ps->p == '*' || is_atom_char(*ps->p));
}

/* Exactly one SP before an argument, or `need` as the error. */
static bool arg_sp(struct pctx *pc, const char *need)
{
    if (!imap_peek_char(pc->ps, ' '))
        return imap_parse_fail(pc->ps, need);
    return imap_parse_sp(pc->ps);
}

static bool parse_string_arg(struct pctx *pc, struct imap_search_node *n)
{
    if (!imap_parse_astring(pc->ps, &pc->tmp))
        return false;
    imap_search_needle_init(&n->needle, pc->tmp.data ? pc->tmp.data : "", pc->tmp.len);
    n->costly = true;
    return true;
}

static bool parse_header_arg(struct pctx *pc, struct imap_search_node *n, const char *need)
{
    if (!imap_parse_astring(pc->ps, &pc->tmp))
        return false;
    n->text = mc_xstrndup(pc->tmp.data ? pc->tmp.data : "", pc->tmp.len);
    return arg_sp(pc, need) && parse_string_arg(pc, n);
}

static bool parse_date_arg(struct pctx *pc, struct imap_search_node *n)
{
    time_t t;
    if (!imap_parse_date(pc->ps, &t))
        return false;
    n->day = imap_search_day_of(t);
    if (n->kind == K_SENTBEFORE || n->kind == K_SENTON || n->kind == K_SENTSINCE)
        n->costly = true;
    return true;
}

static bool parse_keyword_arg(struct pctx *pc, struct imap_search_node *n)
{
    if (!imap_parse_atom(pc->ps, &pc->tmp))
        return false;
    n->text = mc_xstrndup(pc->tmp.data, pc->tmp.len);
    return true;
}

/* MODSEQ ["/flags/\\seen" priv|shared|all] n: the entry names a flag's own mod-sequence;
   ours are kept per message, so the entry is read and the message's mod-sequence compared. */
static bool parse_modseq_arg(struct pctx *pc, struct imap_search_node *n)
{
    if (imap_peek_char(pc->ps, '"')) {
        if (!imap_parse_string(pc->ps, &pc->tmp, NULL) || !imap_parse_sp(pc->ps) ||
            !imap_parse_atom(pc->ps, &pc->tmp) || !imap_parse_sp(pc->ps))
            return imap_parse_fail(pc->ps, "MODSEQ entry-name entry-type mod-sequence expected");
    }
    return imap_parse_number64(pc->ps, &n->number);
}

/* NOT's and OR's operands become the node's children. */
static bool parse_operands(struct pctx *pc, struct imap_search_node *n, unsigned count,
                           unsigned depth, const char *need)
{
    struct imap_search_node *tail = NULL;
    for (unsigned i = 0; i < count; i++) {
        if (!arg_sp(pc, need))
            return false;
        struct imap_search_node *k = parse_key(pc, depth + 1);
        if (!k)
            return false;
        node_append(n, &tail, k);
    }
    return true;
}

static bool parse_arg(struct pctx *pc, const struct key_def *def, struct imap_search_node *n,
                      unsigned depth)
{
    if (def->arg == ARG_NONE)
        return true;
    if (def->arg == ARG_KEY || def->arg == ARG_KEY2)
        return parse_operands(pc, n, def->arg == ARG_KEY ? 1 : 2, depth, def->need);
    if (!arg_sp(pc, def->need))
        return false;
    switch (def->arg) {
    case ARG_STRING:
        return parse_string_arg(pc, n);
    case ARG_HEADER:
        return parse_header_arg(pc, n, def->need);
    case ARG_DATE:
        return parse_date_arg(pc, n);
    case ARG_NUMBER:
        return imap_parse_number64(pc->ps, &n->number);
    case ARG_SEQSET:
        return imap_parse_seqset(pc->ps, &n->set);
    case ARG_KEYWORD:
        return parse_keyword_arg(pc, n);
    case ARG_MODSEQ:
        return parse_modseq_arg(pc, n);
    default:
        return false;
    }
}

/* A named key and its arguments. */
static struct imap_search_node *parse_named_key(struct pctx *pc, unsigned depth)
{
    if (!imap_parse_atom(pc->ps, &pc->tmp))
        return NULL;
    const struct key_def *def = key_lookup(pc->tmp.data);
    if (!def) {
        imap_parse_fail(pc->ps, "unknown search key");
        return NULL;
    }
    struct imap_search_node *n = node_new(def->kind);
    n->flag = def->flag;
    if (def->field)
        n->text = mc_xstrdup(def->field);
    if (!parse_arg(pc, def, n, depth)) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* Keys separated by single spaces, into parent, until `close` (")" or the end: '\0'). */
static bool parse_key_list(struct pctx *pc, struct imap_search_node *parent, char close,
                           unsigned depth)
{
    struct imap_parser *ps = pc->ps;
    struct imap_search_node *tail = NULL;
    for (;;) {
        if (!key_can_start(ps))
            return imap_parse_fail(ps, "expected a search key");
        struct imap_search_node *k = parse_key(pc, depth);
        if (!k)
            return false;
        node_append(parent, &tail, k);
        if (close == ')' && imap_peek_char(ps, ')'))
            return imap_parse_char(ps, ')');
        if (close == '\0' && imap_parse_at_end(ps))
            return true;
        if (imap_parse_at_end(ps))
            return imap_parse_fail(ps, "missing \")\" after the search keys");
        if (imap_peek_char(ps, ')'))
            return imap_parse_fail(ps, "\")\" without a matching \"(\"");
        if (!imap_peek_char(ps, ' '))
            return imap_parse_fail(ps, "expected a space between search keys");
        imap_parse_sp(ps);
    }
}

static struct imap_search_node *parse_key(struct pctx *pc, unsigned depth)
{
    struct imap_parser *ps = pc->ps;
    if (depth >= IMAP_SEARCH_DEPTH_MAX) {
        imap_parse_fail(ps, "search keys nested too deeply");
        return NULL;
    }
    if (++pc->keys > IMAP_SEARCH_KEYS_MAX) {
        imap_parse_fail(ps, "too many search keys");
        return NULL;
    }
    if (!key_can_start(ps)) {
        imap_parse_fail(ps, "expected a search key");
        return NULL;
    }
    char c = *ps->p;
    if (c == '(') {
        struct imap_search_node *n = node_new(K_AND);
        imap_parse_char(ps, '(');
        if (parse_key_list(pc, n, ')', depth + 1))
            return n;
        node_free(n);
        return NULL;
    }
    if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
        struct imap_search_node *n = node_new(K_SEQSET);
        if (imap_parse_seqset(ps, &n->set))
            return n;
        node_free(n);
        return NULL;
    }
    return parse_named_key(pc, depth);
}

/* The bit of a RETURN option of RFC 4731 (MIN MAX ALL COUNT) or RFC 5182 (SAVE), 0 for any
   other. */
static unsigned return_option(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } OPTS[] = {{"MIN", IMAP_RETURN_MIN},
                {"MAX", IMAP_RETURN_MAX},
                {"ALL", IMAP_RETURN_ALL},
                {"COUNT", IMAP_RETURN_COUNT},
                {"SAVE", IMAP_RETURN_SAVE}};
    for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
        if (imap_search_ascii_eq(name, OPTS[i].name))
            return OPTS[i].bit;
    return 0;
}

/* RETURN (opts) (after peek_word found "RETURN"), then its SP. */
static bool parse_return(struct pctx *pc, unsigned *returns)
{
    struct imap_parser *ps = pc->ps;
    const char *need = "RETURN needs a parenthesised list of options";
    if (!imap_parse_atom(ps, &pc->tmp) || !arg_sp(pc, need))
        return false;
    if (!imap_peek_char(ps, '('))
        return imap_parse_fail(ps, need);
    imap_parse_char(ps, '(');
    *returns = 0;
    for (bool first = true; !imap_peek_char(ps, ')'); first = false) {
        if (!first && !imap_peek_char(ps, ' '))
            return imap_parse_fail(ps, "expected \")\" after the RETURN options");
        if ((!first && !imap_parse_sp(ps)) || !imap_parse_atom(ps, &pc->tmp))
            return false;
        unsigned bit = return_option(pc->tmp.data);
        if (!bit)
            return imap_parse_fail(ps, "unknown RETURN option");
        *returns |= bit;
    }
    imap_parse_char(ps, ')');
    if (*returns == 0)
        *returns = IMAP_RETURN_ALL; /* RFC 4731 3.1: RETURN () means ALL */
    return arg_sp(pc, "expected search keys after RETURN (...)");
}

/* CHARSET name (after peek_word found "CHARSET"), then its SP; *known says if we have it. */
static bool parse_charset(struct pctx *pc, bool *known)
{
    struct imap_parser *ps = pc->ps;
    if (!imap_parse_atom(ps, &pc->tmp) || !arg_sp(pc, "CHARSET needs a charset name") ||
        !imap_parse_astring(ps, &pc->tmp))
        return false;
    const char *cs = pc->tmp.data ? pc->tmp.data : "";
    *known = imap_search_ascii_eq(cs, "US-ASCII") || imap_search_ascii_eq(cs, "UTF-8");
    return !*known || arg_sp(pc, "expected search keys after CHARSET");
}

enum imap_search_error imap_search_parse(struct imap_parser *ps, bool esearch_allowed,
                                         struct imap_search **out, unsigned *returns)
{
    struct pctx pc = {.ps = ps};
    struct imap_search_node *root = node_new(K_AND);
    bool known = true;
    *out = NULL;
    *returns = 0;
    bool ok = true;
    if (esearch_allowed && peek_word(ps, "RETURN"))
        ok = parse_return(&pc, returns);
    if (ok && peek_word(ps, "CHARSET"))
        ok = parse_charset(&pc, &known);
    if (ok && known)
        ok = parse_key_list(&pc, root, '\0', 0);
    mc_buf_free(&pc.tmp);
    if (!ok || !known) {
        node_free(root);
        *returns &= IMAP_RETURN_SAVE; /* the caller must still empty "$" (RFC 5182 2.1) */
        return ok ? IMAP_SEARCH_BAD_CHARSET : IMAP_SEARCH_BAD;
    }
    *out = mc_xmalloc(sizeof **out);
    (*out)->root = root;
    return IMAP_SEARCH_OK;
}

void imap_search_free(struct imap_search *q)
{
    if (!q)
        return;
    node_free(q->root);
    free(q);
}

/* ---- what the program asks for ---- */

static bool node_uses_modseq(const struct imap_search_node *n)
{
    for (; n; n = n->next)
        if (n->kind == K_MODSEQ || node_uses_modseq(n->child))
            return true;
    return false;
}

bool imap_search_uses_modseq(const struct imap_search *q)
{
    return q && node_uses_modseq(q->root);
}
