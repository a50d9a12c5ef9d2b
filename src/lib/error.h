/* Error objects: how failures travel from the library to the programs.
 *
 * A function that can fail returns a negative int and fills a caller-provided
 * vz_error.  The message is made right after the failing call and callers add
 * context on the way up with vz_error_wrap(); only the programs print it.  The
 * code is a vzctl-compatible exit status, so the CLI can exit with it as is. */
#ifndef VZ_ERROR_H
#define VZ_ERROR_H

#include <stddef.h>

#define VZ_EXPORT __attribute__((visibility("default")))

/* Exit codes, numbered as in vzctl(8) "EXIT STATUS" so scripts written for
 * OpenVZ keep working.  Only the codes vz can produce are listed. */
enum vz_exit {
	VZ_OK = 0,
	VZ_SETUBC_ERROR = 1,		  /* failed to set a resource parameter */
	VZ_SYSTEM_ERROR = 3,		  /* generic system error */
	VZ_RESOURCE_ERROR = 6,		  /* not enough system resources */
	VZ_EXEC_ERROR = 8,		  /* vzctl exec: command returned non-zero */
	VZ_LOCKED = 9,			  /* container locked by another command */
	VZ_NOCONFIG = 10,		  /* global vz.conf not found */
	VZ_NOSCRIPT = 11,		  /* helper script not found */
	VZ_PERM_DENIED = 12,		  /* permission denied */
	VZ_SET_CAP = 13,		  /* capability setting failed */
	VZ_NOVECONFIG = 14,		  /* container config file not found */
	VZ_EXEC_TIMEOUT = 15,		  /* timeout on vzctl exec */
	VZ_CHKPNT_ERROR = 16,		  /* checkpointing failed */
	VZ_RESTORE_ERROR = 17,		  /* restore failed */
	VZ_INVALID_PARAMETER_SYNTAX = 20, /* invalid command line parameter */
	VZ_INVALID_PARAMETER_VALUE = 21,  /* invalid value for a parameter */
	VZ_VE_ROOT_NOTSET = 22,		  /* VE_ROOT not set */
	VZ_VE_PRIVATE_NOTSET = 23,	  /* VE_PRIVATE not set */
	VZ_VE_TMPL_NOTSET = 24,		  /* TEMPLATE not set */
	VZ_VE_NOT_RUNNING = 31,		  /* container not running */
	VZ_VE_RUNNING = 32,		  /* container already running */
	VZ_STOP_ERROR = 33,		  /* unable to stop container */
	VZ_VE_NOT_MOUNTED = 40,		  /* container not mounted */
	VZ_VE_MOUNTED = 41,		  /* container already mounted */
	VZ_VE_PRIVATE_NOTEXIST = 43,	  /* container private area not found */
	VZ_FS_PRVT_AREA_EXIST = 44,	  /* container private area already exists */
	VZ_FS_NO_DISK_SPACE = 46,	  /* not enough disk space */
	VZ_FS_BAD_TMPL = 47,		  /* bad container: no init or shell */
	VZ_FS_NEW_VE_PRVT = 48,		  /* cannot create private area */
	VZ_FS_NEW_VE_ROOT = 49,		  /* cannot create root area */
	VZ_FS_CANTMOUNT = 50,		  /* unable to mount container */
	VZ_FS_CANTUMOUNT = 51,		  /* unable to unmount container */
	VZ_FS_DEL_PRVT = 52,		  /* unable to delete container */
	VZ_UNK_VE_PRIVATE = 53,		  /* container private area does not exist */
	VZ_CT_NOT_EXIST = 14,		  /* unknown CTID: no config file (as vzctl) */
	VZ_OSTEMPLATE_NOT_FOUND = 91,	  /* OS template not found */
	VZ_NO_OSTEMPLATE = 29,		  /* OS template not specified */
	VZ_START_DISABLED = 105,	  /* container start disabled */
	VZ_CANT_ADDIP = 34,		  /* unable to add IP address */
	VZ_START_ERROR = 133,		  /* waiting for container start failed */
	VZ_SAVE_CONFIG = 139,		  /* error saving container config */
};

typedef struct vz_error {
	int code;	/* enum vz_exit */
	int errnum;	/* errno of the root cause, 0 if none */
	char msg[1024]; /* human readable, context first: "start container 101: ..." */
} vz_error;

/* Fill @err and return -1.  When @errnum != 0, ": strerror(errnum)" is
 * appended.  @err may be NULL (the failure is then only signalled). */
VZ_EXPORT int vz_error_set(vz_error *err, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix the existing message with "context: " and return -1; code and errno
 * are kept, so the root cause still decides the exit status. */
VZ_EXPORT int vz_error_wrap(vz_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The English description of @errnum, as strerror() in the C locale, but
 * async-signal-safe (no translation, no lock, nothing allocated), so that
 * errors can be formatted in a child forked from threaded vzd.  The
 * vz_error functions use it and only format into their fixed buffers. */
VZ_EXPORT const char *vz_strerror(int errnum);

/* Reset to "no error". */
VZ_EXPORT void vz_error_clear(vz_error *err);

#define vz_fail(err, code, fmt, ...)	   vz_error_set((err), (code), 0, fmt, ##__VA_ARGS__)
#define vz_fail_errno(err, code, fmt, ...) vz_error_set((err), (code), errno, fmt, ##__VA_ARGS__)

#endif
