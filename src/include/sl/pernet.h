/*
 * Library and per-stack initialisation order (src/core/net_namespace.c).
 *
 * Once per process (sl_init, first stack creation): net_dev_init, ip_init,
 * arp_init, inet_init — the registration tables (ptype_base, inet_protos,
 * inetsw, net_families) are filled here and never change afterwards.
 *
 * Per stack, in this order (exit in reverse): the subsystems below.
 */
#ifndef SL_PERNET_H
#define SL_PERNET_H

#include "sl/net_namespace.h"

/* src/net/dev.c: nothing global yet beyond the ptype tables. */
void net_dev_init(void);
/* src/ipv4/ip_input.c: dev_add_pack(ETH_P_IP), devinet notifier. */
void ip_init(void);
/* src/net/arp.c: dev_add_pack(ETH_P_ARP), neighbour notifier. */
/* void arp_init(void);  -- declared in sl/neighbour.h */
/* src/ipv4/af_inet.c: sock_register, inetsw, inet_add_protocol. */
/* int inet_init(void);  -- declared in sl/inet_sock.h */

extern const struct pernet_operations fib_net_ops;     /* src/ipv4/route.c */
extern const struct pernet_operations arp_net_ops;     /* src/net/arp.c */
extern const struct pernet_operations loopback_net_ops;/* src/net/loopback.c */
extern const struct pernet_operations ipfrag_net_ops;  /* src/ipv4/ip_fragment.c */
extern const struct pernet_operations icmp_net_ops;    /* src/ipv4/icmp.c */
extern const struct pernet_operations udp_net_ops;     /* src/ipv4/udp.c */
extern const struct pernet_operations tcp_net_ops;     /* src/ipv4/tcp_ipv4.c */
extern const struct pernet_operations raw_net_ops;     /* src/ipv4/raw.c */
extern const struct pernet_operations ping_net_ops;    /* src/ipv4/ping.c */
extern const struct pernet_operations hostlink_net_ops;/* src/drivers/hostlink.c */

/* One-time library init; every public entry point may call it. */
void sl_init(void);

#endif
