/*
 * imap_body — what IMAP FETCH says about a message's content: ENVELOPE, BODY and
 * BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2), and the BODY[section]<partial> data items
 * (RFC 3501 6.4.5), computed from the MIME tree of lib/mime.h over the stored octets.
 *
 * A section is "[" part-number path, then HEADER, HEADER.FIELDS (list), HEADER.FIELDS.NOT
 * (list), TEXT or MIME (MIME only after a part number), "]", then an optional "<origin.count>"
 * (or "<origin>" in a FETCH response). Part numbers follow RFC 3501 6.4.5: "1" of a non-
 * multipart message is its body; the parts of a multipart are numbered from 1; a part that is
 * message/rfc822 is addressed through to the encapsulated message (1.HEADER is that message's
 * header). A section naming a part that does not exist is not an error: its content is empty
 * (the FETCH returns "" or NIL as RFC 3501 allows; we return "").
 */
#ifndef RS_IMAP_BODY_H
#define RS_IMAP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "reference/imap_parse.h"

#define IMAP_SECTION_DEPTH_MAX MIME_DEPTH_MAX
/* Field names in one HEADER.FIELDS list (harness limit: selecting fields costs fields x
   names for every message fetched). */
#define IMAP_SECTION_FIELDS_MAX 100

enum imap_section_text {
    IMAP_SECTION_ALL,               /* BODY[] or BODY[1.2]: the whole (sub)part */
    IMAP_SECTION_HEADER,            /* BODY[HEADER], BODY[1.HEADER] */
    IMAP_SECTION_HEADER_FIELDS,     /* BODY[HEADER.FIELDS (A B)] */
    IMAP_SECTION_HEADER_FIELDS_NOT, /* BODY[HEADER.FIELDS.NOT (A B)] */
    IMAP_SECTION_TEXT,              /* BODY[TEXT], BODY[1.TEXT] */
    IMAP_SECTION_MIME,              /* BODY[1.MIME]: the part's MIME header */
};

struct imap_section {
    uint32_t part[IMAP_SECTION_DEPTH_MAX];
    size_t depth; /* 0: the whole message */
    enum imap_section_text text;
    struct mc_strv fields; /* HEADER.FIELDS[.NOT], as given */
    bool partial;
    uint32_t origin, count; /* <origin.count> */
};

/* Parses from "[" through "]" and an optional "<origin.count>" (the caller has read "BODY",
   "BODY.PEEK" or "BINARY"...). false with ps->error on bad syntax (MIME without a part number,
   an empty field list, a zero part number, count 0 is allowed). */
bool imap_section_parse(struct imap_parser *ps, struct imap_section *out);
void imap_section_free(struct imap_section *sec);
/* The section part of the data item name for the FETCH response, after the "BODY" or
   "BINARY" the caller writes: "[1.HEADER.FIELDS (SUBJECT FROM)]<0>" — as RFC 3501 7.4.2 wants
   it: the origin only, never the count. */
void imap_section_write_name(struct mc_buf *out, const struct imap_section *sec);
/* The octets the section names (partial range applied: from origin, at most count octets;
   empty when origin is beyond the end), appended to out. root: mime_parse of data. */
void imap_section_extract(const char *data, size_t len, const struct mime_part *root,
                          const struct imap_section *sec, struct mc_buf *out);

/* The part a section's part numbers name, NULL when there is none: the parts of a multipart
   count from 1, anything else has only a part 1 (itself), and only a message/rfc822 may be
   numbered further (it is looked into). root itself for depth 0. */
const struct mime_part *imap_section_part(const struct mime_part *root,
                                          const struct imap_section *sec);

/* "(date subject from sender reply-to to cc bcc in-reply-to message-id)" of the message whose
   header is hdr[0..hdr_len), RFC 3501 7.4.2: sender and reply-to default to from; strings are
   written raw (RFC 2047 words left encoded), NIL when absent. utf8_ok: 8-bit octets may be sent
   in quoted strings (IMAP4rev2 / UTF8=ACCEPT), else such values go as literals. */
void imap_write_envelope(struct mc_buf *out, const char *hdr, size_t hdr_len, bool utf8_ok);
/* BODY (extensible false) or BODYSTRUCTURE (true) of the part p of data, RFC 3501 7.4.2:
   basic fields, text lines, the envelope + body + lines of a message/rfc822, and with
   extensible the MD5, disposition, language and location extension data. */
void imap_write_bodystructure(struct mc_buf *out, const char *data, const struct mime_part *p,
                              bool extensible, bool utf8_ok);

#endif
