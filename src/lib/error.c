/* Error objects: formatting and wrapping (see error.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int vz_error_set(vz_error *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -1;
	err->code = code ? code : VZ_SYSTEM_ERROR;
	err->errnum = errnum;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", vz_strerror(errnum));
	return -1;
}

int vz_error_wrap(vz_error *err, const char *fmt, ...)
{
	char prefix[512];
	char old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	if (!err->code)
		err->code = VZ_SYSTEM_ERROR;
	return -1;
}

const char *vz_strerror(int errnum)
{
	/* Not strerror(): that may translate (locale data, locks), which a
	 * child forked from a threaded vzd must not do. */
	const char *s = strerrordesc_np(errnum);

	return s ? s : "Unknown error";
}

void vz_error_clear(vz_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->errnum = 0;
	err->msg[0] = '\0';
}
