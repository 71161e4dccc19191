/* web_assets.h: the web UI's files compiled into approvald. The table is
 * generated at build time by tools/embed.c from web/ (web/meson.build);
 * routes_ui.c serves it. Entries are sorted by name (strcmp). */
#ifndef APPROVE_WEB_ASSETS_H
#define APPROVE_WEB_ASSETS_H
#include <stddef.h>

struct approve_asset {
	const char *name;		/* base name, e.g. "app.js" */
	const char *type;		/* Content-Type */
	const char *etag;		/* strong ETag, quoted */
	const unsigned char *data;	/* len bytes, then a NUL */
	size_t len;
};

extern const struct approve_asset approve_assets[];
extern const size_t approve_assets_count;

#endif
