/* addr_text: IPv4 and IPv6 addresses as text, the way inet_ntop() writes
 * them, without its sprintf: this runs for every record of the JSON and
 * journal formats.  Pure code; p must have room for ADDR_TEXT_MAX bytes. */
#ifndef NFLOGD_ADDR_TEXT_H
#define NFLOGD_ADDR_TEXT_H

#include <stdint.h>

#define ADDR_TEXT_MAX 46        /* INET6_ADDRSTRLEN */

/* Write the address at p (no NUL); return the end. */
char *addr_text_ip4(char *p, const uint8_t *a);
char *addr_text_ip6(char *p, const uint8_t *a);

#endif
