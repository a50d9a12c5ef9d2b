/* Network namespace helpers over rtnetlink (libmnl). */
#ifndef VZ_NETNS_H
#define VZ_NETNS_H

#include "lib/error.h"

/* Bring up the loopback device of the caller's network namespace. */
int vz_netns_loopback_up(vz_error *err);

#endif
