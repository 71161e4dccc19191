/* clientaddr.h: who the client of a request is, decided once per request
 * by httpd.c from the socket peer's label (a numeric address, or
 * "unix:uid=N" for a Unix-socket peer) and, only when that peer is a
 * trusted proxy (sso_proxies), the X-Forwarded-For entry it added.
 * Pure (no I/O), for tests/unit. */
#ifndef APPROVALD_CLIENTADDR_H
#define APPROVALD_CLIENTADDR_H
#include <stddef.h>
#include <netinet/in.h>

/* A peer label: a numeric address or "unix:uid=N" (at most 19 characters)
 * fits, with its NUL. */
#define CLIENT_ADDR_MAX INET6_ADDRSTRLEN

/* 1 when peer (a label as above) is one of proxies (addresses, or
 * unix:uid=N, separated by commas or blanks; NULL: none), else 0. An
 * IPv4-mapped IPv6 address counts as the IPv4 one. */
int client_is_proxy(const char *proxies, const char *peer);

/* The client's address into out (len bytes): the peer itself, or when the
 * peer is a trusted proxy (is_proxy) the last entry of xff (the one that
 * proxy added) when it is a numeric address that fits; anything else in
 * xff is ignored. */
void client_resolve(const char *peer, int is_proxy, const char *xff,
		    char *out, size_t len);

#endif
