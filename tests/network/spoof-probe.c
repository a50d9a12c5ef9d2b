/* spoof-probe: hand-made frames for the anti-spoofing test.
 *
 *   spoof-probe udp IFACE SRCMAC SRCIP DSTMAC DSTIP PORT TEXT
 *       one Ethernet/IPv4/UDP frame with the given source MAC and address
 *   spoof-probe arp IFACE SRCMAC SENDERMAC SENDERIP
 *       a gratuitous ARP reply: "SENDERIP is at SENDERMAC"
 *   spoof-probe recv PORT SECONDS
 *       print the first UDP datagram that arrives on PORT (exit 1 if none)
 *
 * Linked statically so that it runs inside any container template. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void mac(const char *s, uint8_t m[6])
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) !=
	    6) {
		fprintf(stderr, "bad MAC %s\n", s);
		exit(2);
	}
}

static uint16_t csum(const void *p, size_t n)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; n > 1; n -= 2)
		s += *w++;
	if (n)
		s += *(const uint8_t *)w;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int send_frame(const char *ifname, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	memcpy(sll.sll_addr, frame, 6);
	if (fd < 0 || !sll.sll_ifindex ||
	    sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len) {
		perror("send");
		return 1;
	}
	return 0;
}

static int udp(char **a)
{
	uint8_t f[1500] = {0};
	struct ether_header *eh = (void *)f;
	struct iphdr *ip = (void *)(f + sizeof(*eh));
	struct udphdr *uh = (void *)(ip + 1);
	size_t tlen = strlen(a[7]);

	mac(a[2], eh->ether_shost);
	mac(a[4], eh->ether_dhost);
	eh->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + sizeof(*uh) + tlen));
	inet_pton(AF_INET, a[3], &ip->saddr);
	inet_pton(AF_INET, a[5], &ip->daddr);
	ip->check = csum(ip, sizeof(*ip));
	uh->source = htons(40000);
	uh->dest = htons((uint16_t)atoi(a[6]));
	uh->len = htons((uint16_t)(sizeof(*uh) + tlen));
	memcpy(uh + 1, a[7], tlen); /* UDP checksum 0: none */
	return send_frame(a[1], f, sizeof(*eh) + sizeof(*ip) + sizeof(*uh) + tlen);
}

static int arp(char **a)
{
	uint8_t f[64] = {0};
	struct ether_header *eh = (void *)f;
	struct ether_arp *ea = (void *)(f + sizeof(*eh));

	mac(a[2], eh->ether_shost);
	memset(eh->ether_dhost, 0xff, 6);
	eh->ether_type = htons(ETHERTYPE_ARP);
	ea->arp_hrd = htons(ARPHRD_ETHER);
	ea->arp_pro = htons(ETHERTYPE_IP);
	ea->arp_hln = 6;
	ea->arp_pln = 4;
	ea->arp_op = htons(ARPOP_REPLY);
	mac(a[3], ea->arp_sha);
	inet_pton(AF_INET, a[4], ea->arp_spa);
	memset(ea->arp_tha, 0xff, 6);
	memcpy(ea->arp_tpa, ea->arp_spa, 4);
	return send_frame(a[1], f, 60);
}

static int recv_one(char **a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(a[1]))};
	struct pollfd p = {.events = POLLIN};
	char buf[256];
	ssize_t n;

	p.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p.fd < 0 || bind(p.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("bind");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (poll(&p, 1, atoi(a[2]) * 1000) != 1)
		return 1;
	n = recv(p.fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	printf("%s\n", buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 9 && !strcmp(argv[1], "udp"))
		return udp(argv + 1);
	if (argc == 6 && !strcmp(argv[1], "arp"))
		return arp(argv + 1);
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return recv_one(argv + 1);
	fprintf(stderr, "usage: see the comment at the top of spoof-probe.c\n");
	return 2;
}
