/*
 * The shared-object interface google/packetdrill drives a stack through
 * (its gtests/net/packetdrill/packetdrill.h, "so_testing"): packetdrill
 * dlopen()s the library, calls packetdrill_interface_init(flags, &ifc), and
 * from then on makes every system call of a script through ifc (each gets
 * ifc.userdata first), injects packets with netdev_send, collects what the
 * stack sends with netdev_receive and reads and moves time with
 * gettimeofday and usleep. Finally it calls ifc.free(ifc.userdata).
 *
 * sockline's own declaration of that table: the member order and types
 * must stay exactly packetdrill's, since packetdrill fills and reads the
 * structure by layout. Return conventions are the system calls' (-1 and
 * errno), except where noted.
 */
#ifndef SOCKLINE_PACKETDRILL_H
#define SOCKLINE_PACKETDRILL_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct packetdrill_interface {
	void *userdata;
	void (*free)(void *userdata);
	int (*socket)(void *userdata, int domain, int type, int protocol);
	int (*bind)(void *userdata, int sockfd, const struct sockaddr *addr,
		    socklen_t addrlen);
	int (*listen)(void *userdata, int sockfd, int backlog);
	int (*accept)(void *userdata, int sockfd, struct sockaddr *addr,
		      socklen_t *addrlen);
	int (*connect)(void *userdata, int sockfd, const struct sockaddr *addr,
		       socklen_t addrlen);
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
	ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov,
			 int iovcnt);
	ssize_t (*recv)(void *userdata, int sockfd, void *buf, size_t len,
			int flags);
	ssize_t (*recvfrom)(void *userdata, int sockfd, void *buf, size_t len,
			    int flags, struct sockaddr *src_addr,
			    socklen_t *addrlen);
	ssize_t (*recvmsg)(void *userdata, int sockfd, struct msghdr *msg,
			   int flags);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
	ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov,
			  int iovcnt);
	ssize_t (*send)(void *userdata, int sockfd, const void *buf, size_t len,
			int flags);
	ssize_t (*sendto)(void *userdata, int sockfd, const void *buf,
			  size_t len, int flags,
			  const struct sockaddr *dest_addr, socklen_t addrlen);
	ssize_t (*sendmsg)(void *userdata, int sockfd, const struct msghdr *msg,
			   int flags);
	int (*fcntl)(void *userdata, int fd, int cmd, ...);
	int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
	int (*close)(void *userdata, int fd);
	int (*shutdown)(void *userdata, int sockfd, int how);
	int (*getsockopt)(void *userdata, int sockfd, int level, int optname,
			  void *optval, socklen_t *optlen);
	int (*setsockopt)(void *userdata, int sockfd, int level, int optname,
			  const void *optval, socklen_t optlen);
	int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds,
		    int timeout);
	/* One complete IP datagram (no link header) into the stack. 0/-1. */
	int (*netdev_send)(void *userdata, const void *buf, size_t count);
	/* The next datagram the stack sent: *count in = room, out = length
	 * (0: nothing will ever come); *time_usecs = when it was sent, in
	 * the gettimeofday time base. 0/-1. */
	int (*netdev_receive)(void *userdata, void *buf, size_t *count,
			      long long *time_usecs);
	int (*usleep)(void *userdata, useconds_t usec);
	int (*gettimeofday)(void *userdata, struct timeval *tv,
			    struct timezone *tz);
	int (*epoll_create)(void *userdata, int size);
	int (*epoll_ctl)(void *userdata, int epfd, int op, int fd,
			 struct epoll_event *event);
	int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events,
			  int maxevents, int timeout);
	int (*pipe)(void *userdata, int pipefd[2]);
	int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out,
		      loff_t *off_out, size_t len, unsigned int flags);
};

typedef void (*packetdrill_interface_init_t)(const char *flags,
					     struct packetdrill_interface *ifc);

/*
 * The entry point packetdrill looks up with dlsym. @flags may be NULL;
 * otherwise "key=value,..." with ip_version (ipv4), local_ip, remote_ip,
 * gateway_ip, prefix_len, mtu (defaults 192.168.0.1, 192.0.2.1,
 * 192.168.0.1, 16, 1500), and sockline's own sysctl_dir (where the
 * net.ipv4.tcp_* knobs are read from at each socket(): default
 * /proc/sys/net/ipv4, "none" to keep the stack's). On failure
 * ifc->userdata is NULL and every call fails with ENODEV.
 */
void packetdrill_interface_init(const char *flags,
				struct packetdrill_interface *ifc);

/* sockline's addition, for in-tree tests (not exported from the .so): the
 * stack behind @userdata, to read its counters. */
struct net;
struct net *sockline_packetdrill_net(void *userdata);
/* Datagrams the stack sent that netdev_receive has not returned yet (a
 * look that, unlike netdev_receive, never moves time). */
unsigned int sockline_packetdrill_queued(void *userdata);

#endif
