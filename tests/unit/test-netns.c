/* Pure parts of the networking code: address parsing and subnets, stable
 * MACs and host interface names, hosts/resolv.conf text, NETIF editing. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "netns/netns.h"

static void test_inet_parse_and_format(void **state)
{
	struct vz_inet a;
	char buf[VZ_INET_STRLEN];
	vz_error err = {0};

	assert_int_equal(vz_inet_parse("10.0.0.5", &a, &err), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.prefix, 32);
	assert_int_equal(vz_inet_parse("fd00::1/64", &a, &err), 0);
	assert_int_equal(a.family, AF_INET6);
	vz_inet_format(&a, buf, true);
	assert_string_equal(buf, "fd00::1/64");
	assert_int_equal(vz_inet_parse("10.0.0.5/33", &a, &err), -1);
	assert_non_null(strstr(err.msg, "0..32"));
	assert_int_equal(vz_inet_parse("10.0.0.5/", &a, &err), -1);
	assert_int_equal(vz_inet_parse("host.example", &a, &err), -1);
	assert_non_null(strstr(err.msg, "`host.example` is not an IP address"));
}

static void test_subnet(void **state)
{
	struct vz_inet net, ip;
	vz_error err = {0};

	vz_inet_parse("10.77.0.1/24", &net, &err);
	vz_inet_parse("10.77.0.200", &ip, &err);
	assert_true(vz_inet_in_subnet(&ip, &net));
	vz_inet_parse("10.77.1.2", &ip, &err);
	assert_false(vz_inet_in_subnet(&ip, &net));
	vz_inet_parse("10.77.0.1/20", &net, &err);
	vz_inet_parse("10.77.15.3", &ip, &err);
	assert_true(vz_inet_in_subnet(&ip, &net));
	vz_inet_parse("10.77.16.3", &ip, &err);
	assert_false(vz_inet_in_subnet(&ip, &net));
	vz_inet_parse("fd77::1/64", &net, &err);
	assert_false(vz_inet_in_subnet(&ip, &net)); /* other family */
	vz_inet_parse("fd77::abcd", &ip, &err);
	assert_true(vz_inet_in_subnet(&ip, &net));
}

static void test_mac_is_stable_local_unicast(void **state)
{
	uint8_t a[6], b[6], h[6], other[6];

	vz_net_mac("101", "eth0", false, a);
	vz_net_mac("101", "eth0", false, b);
	vz_net_mac("101", "eth0", true, h);
	vz_net_mac("1010", "eth0", false, other);
	assert_memory_equal(a, b, 6);
	assert_int_equal(a[0], 0x02); /* locally administered, unicast */
	assert_int_equal(h[0], 0xfe);
	assert_memory_equal(a + 1, h + 1, 5);
	assert_memory_not_equal(a, other, 6);
	/* "10"+"1eth0" must not collide with "101"+"eth0". */
	vz_net_mac("10", "1eth0", false, other);
	assert_memory_not_equal(a, other, 6);
}

static void test_host_ifnames_fit(void **state)
{
	cleanup_free char *a = vz_net_host_ifname("101", 0);
	cleanup_free char *b = vz_net_host_ifname("2147483647", 12);
	cleanup_free char *r = vz_net_routed_ifname("2147483647");

	assert_string_equal(a, "veth101.0");
	assert_true(strlen(b) <= 15);
	assert_true(strlen(r) <= 15);
}

static void test_resolv_and_hosts(void **state)
{
	char *ns[] = {"inherit", "192.0.2.53", NULL};
	char *sd[] = {"example.org", NULL};
	char *ips[] = {"10.0.0.7/24", NULL};
	struct vz_ct_conf c = {.hostname = "web1.example.org",
			       .ip_address = ips,
			       .nameserver = ns,
			       .searchdomain = sd};
	cleanup_free char *resolv =
	    vz_net_resolv_text(&c, "# host\nnameserver 9.9.9.9\nsearch host.lan\n");
	cleanup_free char *hosts = vz_net_hosts_text(&c);

	assert_non_null(strstr(resolv, "nameserver 9.9.9.9\nnameserver 192.0.2.53\n"));
	assert_non_null(strstr(resolv, "search example.org\n"));
	assert_null(strstr(resolv, "host.lan")); /* search was not inherited */
	assert_non_null(strstr(hosts, "10.0.0.7\tweb1.example.org web1\n"));
	c.nameserver = NULL;
	c.searchdomain = NULL;
	assert_null(vz_net_resolv_text(&c, ""));
}

static void test_netif_edit(void **state)
{
	vz_error err = {0};
	char *v = NULL, *w = NULL;

	assert_int_equal(vz_netif_edit(NULL, true, "eth0", &v, &err), 0);
	assert_string_equal(v, "ifname=eth0");
	assert_int_equal(vz_netif_edit(v, true, "eth1,02:00:00:00:00:01,,,br1", &w, &err), 0);
	assert_string_equal(w, "ifname=eth0;ifname=eth1,mac=02:00:00:00:00:01,bridge=br1");
	free(v);
	assert_int_equal(vz_netif_edit(w, true, "ifname=eth0,host_ifname=vh0", &v, &err), 0);
	assert_string_equal(
	    v, "ifname=eth0,host_ifname=vh0;ifname=eth1,mac=02:00:00:00:00:01,bridge=br1");
	free(w);
	assert_int_equal(vz_netif_edit(v, true, "eth0", &w, &err), -1);
	assert_non_null(strstr(err.msg, "`eth0` already exists"));
	assert_int_equal(vz_netif_edit(v, true, "ifname=eth9,mac=02:00:00:00:00:02", &w, &err), -1);
	assert_non_null(strstr(err.msg, "no network interface `eth9`"));
	assert_int_equal(vz_netif_edit(v, true, "ifname=eth1,host_ifname=vh0", &w, &err), -1);
	assert_int_equal(vz_netif_edit(v, true, "eth2,01:00:00:00:00:01", &w, &err), -1);
	assert_int_equal(vz_netif_edit(v, false, "eth0", &w, &err), 0);
	assert_string_equal(w, "ifname=eth1,mac=02:00:00:00:00:01,bridge=br1");
	free(w);
	assert_int_equal(vz_netif_edit(v, false, "eth7", &w, &err), -1);
	assert_int_equal(vz_netif_edit(v, true, "ifname=eth1,mtu=9000", &w, &err), 0);
	assert_string_equal(w, "ifname=eth0,host_ifname=vh0;"
			       "ifname=eth1,mac=02:00:00:00:00:01,bridge=br1,mtu=9000");
	free(w);
	assert_int_equal(vz_netif_edit(v, true, "ifname=eth1,mtu=20", &w, &err), -1);
	assert_non_null(strstr(err.msg, "NETIF mtu"));
	assert_int_equal(vz_netif_edit(v, false, "all", &w, &err), 0);
	assert_string_equal(w, "");
	free(w);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inet_parse_and_format),
	    cmocka_unit_test(test_subnet),
	    cmocka_unit_test(test_mac_is_stable_local_unicast),
	    cmocka_unit_test(test_host_ifnames_fit),
	    cmocka_unit_test(test_resolv_and_hosts),
	    cmocka_unit_test(test_netif_edit),
	};
	return cmocka_run_group_tests_name("netns", tests, NULL, NULL);
}
