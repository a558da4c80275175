/*
 * The process-wide fd table: fd -> struct file (Linux's fs/file.c and
 * fs/file_table.c, reduced to what sockets and epoll need).
 *
 * A struct file is counted (f_count): one reference for its fd slot and one
 * for each call in flight (fget ... fput). close_fd() empties the slot and
 * drops the slot's reference; the file (and the socket behind it) is
 * released by whoever drops the last reference, so a close racing with a
 * recv blocked in another thread is safe: the recv keeps the socket alive
 * until it returns, as on Linux.
 *
 * Lookups on the data path (fget) take the table's rwlock for reading,
 * index an array and increment the count: no allocation, no writer lock.
 *
 * Numbering (sl_fd_host_mode): by default sockline's own small integers,
 * lowest free first, starting at 3 so that they never look like stdio. In
 * host mode every sockline fd reserves a real kernel descriptor (an
 * eventfd; for an epoll instance a kernel epoll instance, which then also
 * watches the kernel's descriptors, see eventpoll.c) and uses its number,
 * so it cannot collide with the program's other fds; the placeholder is
 * closed when the sockline fd is, and dup/dup3 duplicate it. Placeholders
 * are handled with raw system calls: under the preload shim close(),
 * dup3() and friends are the shim's, which would hand a sockline number
 * back to us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "sl/rwlock.h"
#include "sl/socket.h"

#define FD_FIRST_INTERNAL 3
#define FD_TABLE_MIN 64
#define FD_TABLE_HARD_MAX (1u << 20)

struct fdtable {
	rwlock_t lock;
	struct file **fd;            /* slot -> file, NULL = free */
	unsigned char *cloexec;      /* FD_CLOEXEC per slot */
	unsigned int max_fds;        /* slots allocated */
	unsigned int next_fd;        /* no free slot below this (internal) */
	unsigned int open;           /* slots in use */
	enum sl_fd_mode mode;
};

static struct fdtable files = {
	.lock = RWLOCK_UNLOCKED,
	.next_fd = FD_FIRST_INTERNAL,
	.mode = SL_FD_INTERNAL,
};

/* fd_set_limit's bound, 0 = none (atomic). */
static unsigned int fd_limit_set;

/* (See sl/socket.h.) */
void fd_set_limit(unsigned int max)
{
	__atomic_store_n(&fd_limit_set,
			 max > FD_TABLE_HARD_MAX ? FD_TABLE_HARD_MAX : max,
			 __ATOMIC_RELAXED);
}

/* RLIMIT_NOFILE, as Linux bounds a process's fds (EMFILE above it), unless
 * fd_set_limit gave sockline's own fds a bound of their own. */
static unsigned int fd_limit(void)
{
	unsigned int set = __atomic_load_n(&fd_limit_set, __ATOMIC_RELAXED);
	struct rlimit rl;

	if (set && files.mode == SL_FD_INTERNAL)
		return set;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > FD_TABLE_HARD_MAX)
		return FD_TABLE_HARD_MAX;
	return (unsigned int)rl.rlim_cur;
}

/* Grow the table so that slot @nr exists. Called with the lock written. */
static int expand_files(unsigned int nr)
{
	unsigned int n = files.max_fds ? files.max_fds : FD_TABLE_MIN;
	struct file **fd;
	unsigned char *ce;

	if (nr < files.max_fds)
		return 0;
	while (n <= nr)
		n *= 2;
	fd = realloc(files.fd, n * sizeof(*fd));
	if (!fd)
		return -ENOMEM;
	files.fd = fd;
	ce = realloc(files.cloexec, n);
	if (!ce)
		return -ENOMEM;
	files.cloexec = ce;
	memset(files.fd + files.max_fds, 0,
	       (n - files.max_fds) * sizeof(*fd));
	memset(files.cloexec + files.max_fds, 0, n - files.max_fds);
	files.max_fds = n;
	return 0;
}

/* Lowest free internal slot (Linux's alloc_fd), lock written. */
static int alloc_fd_internal(void)
{
	unsigned int limit = fd_limit();
	unsigned int i;
	int err;

	for (i = files.next_fd; i < files.max_fds; i++)
		if (!files.fd[i])
			break;
	if (i >= limit)
		return -EMFILE;
	err = expand_files(i);
	if (err)
		return err;
	files.next_fd = i + 1;
	return (int)i;
}

/* Close a placeholder (the kernel's copy of a sockline number). */
static void host_close(int hfd)
{
	syscall(SYS_close, hfd);
}

/* Give the new placeholder @hfd a slot (lock written). */
static int host_fd_reserve(long hfd)
{
	int err;

	if (hfd < 0)
		return -errno;          /* EMFILE, ENFILE, ENOMEM, EBADF */
	err = expand_files((unsigned int)hfd);
	if (err) {
		host_close((int)hfd);
		return err;
	}
	SL_BUG_ON(files.fd[hfd], "host fd already in the sockline table");
	return (int)hfd;
}

/*
 * A real kernel descriptor whose number the sockline fd takes: an eventfd,
 * or a kernel epoll instance for an epoll file (@epoll).
 */
static int alloc_fd_host(bool epoll)
{
	if (epoll)
		return host_fd_reserve(syscall(SYS_epoll_create1, EPOLL_CLOEXEC));
	return host_fd_reserve(syscall(SYS_eventfd2, 0, EFD_CLOEXEC));
}

/* Fill @f as alloc_file does (the memory is the caller's). */
static void init_file(struct file *f, const struct file_operations *fop,
		      void *priv, unsigned int flags)
{
	f->f_op = fop;
	f->private_data = priv;
	f->f_flags = O_RDWR | (flags & O_NONBLOCK);
	f->f_count = 1;
	INIT_LIST_HEAD(&f->f_ep_links);
	spin_lock_init(&f->f_ep_lock);
}

/**
 * alloc_file - a new struct file with one reference
 * @fop: socket_file_ops or the epoll file operations
 * @priv: the struct socket or struct eventpoll behind it
 * @flags: O_NONBLOCK (other bits ignored; files are always O_RDWR)
 */
struct file *alloc_file(const struct file_operations *fop, void *priv,
			unsigned int flags)
{
	struct file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	init_file(f, fop, priv, flags);
	return f;
}

/* One more reference to a file the caller already holds (poll entries). */
void get_file(struct file *f)
{
	__atomic_fetch_add(&f->f_count, 1, __ATOMIC_RELAXED);
}

/* The last reference went (Linux's __fput): leave epoll sets, release.
 * A socket's file shares its allocation with the socket (socket_alloc). */
static void __fput(struct file *f)
{
	eventpoll_release(f);
	if (f->f_op->release)
		f->f_op->release(f);
	if (f->f_op == &socket_file_ops)
		free(container_of(f, struct socket_alloc, file));
	else
		free(f);
}


/**
 * fput - drop a file reference
 *
 * The last one releases the file: it leaves every epoll set and its
 * release runs (sock_close -> sock_release for sockets).
 */
void fput(struct file *f)
{
	if (__atomic_sub_fetch(&f->f_count, 1, __ATOMIC_ACQ_REL) == 0)
		__fput(f);
}

/**
 * fget - the file behind @fd, with a reference (fput it), or NULL
 *
 * Cheap: a read-locked index and an atomic increment.
 */
struct file *fget(int fd)
{
	struct file *f = NULL;

	if (fd < 0)
		return NULL;
	read_lock(&files.lock);
	if ((unsigned int)fd < files.max_fds) {
		f = files.fd[fd];
		if (f)
			get_file(f);
	}
	rwlock_unlock(&files.lock);
	return f;
}

/**
 * fd_install_new - give @f an fd
 * @f: the file; the fd slot takes over the caller's reference
 * @flags: O_CLOEXEC (== SOCK_CLOEXEC)
 *
 * Returns the fd, or -EMFILE/-ENFILE/-ENOMEM; on error the caller still
 * owns its reference.
 */
static int __fd_install(struct file *f, int flags, bool epoll)
{
	int fd;

	write_lock(&files.lock);
	if (files.mode == SL_FD_HOST)
		fd = alloc_fd_host(epoll);
	else
		fd = alloc_fd_internal();
	if (fd >= 0) {
		files.fd[fd] = f;
		files.cloexec[fd] = (flags & O_CLOEXEC) ? 1 : 0;
		files.open++;
	}
	rwlock_unlock(&files.lock);
	return fd;
}

int fd_install_new(struct file *f, int flags)
{
	return __fd_install(f, flags, false);
}

/* fd_install_new for an epoll file: in host mode its placeholder is a
 * kernel epoll instance. Returns the fd; *@host tells which kind. */
int fd_install_epoll(struct file *f, int flags, bool *host)
{
	int fd = __fd_install(f, flags, true);

	/* Stable: the mode cannot change while an fd is open. */
	*host = fd >= 0 && READ_ONCE(files.mode) == SL_FD_HOST;
	return fd;
}

/**
 * fd_install_host - give @f the number of the existing kernel fd @hfd
 *
 * Host mode only (sl_epoll_adopt): @hfd, which the caller owns, becomes
 * the placeholder. The slot takes over the caller's reference. Returns
 * @hfd, -EINVAL (not host mode), -EEXIST (already a sockline fd), -EBADF
 * or -ENOMEM; on error the caller keeps its reference and @hfd.
 */
int fd_install_host(struct file *f, int hfd, int flags)
{
	int err = -EINVAL;

	if (hfd < 0)
		return -EBADF;
	write_lock(&files.lock);
	if (files.mode != SL_FD_HOST)
		goto out;
	err = -EEXIST;
	if ((unsigned int)hfd < files.max_fds && files.fd[hfd])
		goto out;
	err = expand_files((unsigned int)hfd);
	if (err)
		goto out;
	files.fd[hfd] = f;
	files.cloexec[hfd] = (flags & O_CLOEXEC) ? 1 : 0;
	files.open++;
	err = hfd;
out:
	rwlock_unlock(&files.lock);
	return err;
}

/* Empty slot @fd, lock written. Returns its file (the slot's reference). */
static struct file *fd_remove_locked(int fd)
{
	struct file *f = files.fd[fd];

	files.fd[fd] = NULL;
	files.cloexec[fd] = 0;
	files.open--;
	if (files.mode == SL_FD_INTERNAL && (unsigned int)fd < files.next_fd)
		files.next_fd = (unsigned int)fd;
	return f;
}

/**
 * close_fd - close(2): empty the slot and drop its reference
 *
 * Returns 0 or -EBADF. Calls in flight on the file keep it (and the
 * socket) alive until they return.
 */
int close_fd(int fd)
{
	struct file *f = NULL;
	enum sl_fd_mode mode;

	if (fd < 0)
		return -EBADF;
	write_lock(&files.lock);
	mode = files.mode;
	if ((unsigned int)fd < files.max_fds && files.fd[fd])
		f = fd_remove_locked(fd);
	rwlock_unlock(&files.lock);
	if (!f)
		return -EBADF;
	/* Only now may the kernel hand the number out again. */
	if (mode == SL_FD_HOST)
		host_close(fd);
	fput(f);
	return 0;
}

/* Install @f (one reference, the caller's) in the empty slot @fd. */
static void fd_install_slot(int fd, struct file *f, bool cloexec)
{
	files.fd[fd] = f;
	files.cloexec[fd] = cloexec;
	files.open++;
}

/**
 * do_dup - F_DUPFD(0)-like: a new fd for @fd's file, FD_CLOEXEC clear
 *
 * The lowest free number: sockline's own, or in host mode the lowest
 * free kernel number (the placeholder is duplicated). Both fds share
 * one struct file (f_count), so O_NONBLOCK is shared and the socket
 * lives until the last of them is closed. Returns the new fd, -EBADF,
 * -EMFILE.
 */
int do_dup(int fd)
{
	struct file *f = fget(fd);
	int newfd;

	if (!f)
		return -EBADF;
	write_lock(&files.lock);
	if (files.mode == SL_FD_HOST)
		newfd = host_fd_reserve(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0));
	else
		newfd = alloc_fd_internal();
	if (newfd >= 0)
		fd_install_slot(newfd, f, false);
	rwlock_unlock(&files.lock);
	if (newfd < 0)
		fput(f);
	return newfd;
}

/**
 * do_dup3 - dup3(2): @newfd names @oldfd's file, whatever it was
 * @flags: 0 or O_CLOEXEC
 *
 * A sockline file at @newfd loses that fd (as close); in host mode the
 * kernel's dup3 puts @oldfd's placeholder at @newfd, closing whatever
 * kernel descriptor was there. Errors as Linux's ksys_dup3: -EINVAL (bad
 * @flags, @oldfd == @newfd), -EBADF (@newfd out of range, @oldfd not
 * open), -ENOMEM.
 */
int do_dup3(int oldfd, int newfd, int flags)
{
	struct file *f, *old = NULL;
	long err;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd < 0 || (unsigned int)newfd >= fd_limit())
		return -EBADF;
	f = fget(oldfd);
	if (!f)
		return -EBADF;
	write_lock(&files.lock);
	err = expand_files((unsigned int)newfd);
	if (!err && files.mode == SL_FD_HOST &&
	    syscall(SYS_dup3, oldfd, newfd, O_CLOEXEC) < 0)
		err = -errno;
	if (!err) {
		/* In host mode newfd's old placeholder went with the dup3. */
		if (files.fd[newfd])
			old = fd_remove_locked(newfd);
		fd_install_slot(newfd, f, flags & O_CLOEXEC);
	}
	rwlock_unlock(&files.lock);
	if (err) {
		fput(f);
		return (int)err;
	}
	if (old)
		fput(old);
	return newfd;
}

/**
 * fd_atfork_child - sl_atfork_child's part: an empty fd table
 *
 * Only the forking thread survives fork: another may have held the
 * table's lock, and the files' sockets belong to stacks whose threads are
 * gone. Close the child's copies of the placeholders and start afresh,
 * abandoning the files (the numbering mode stays).
 */
void fd_atfork_child(void)
{
	unsigned int i;

	if (files.mode == SL_FD_HOST)
		for (i = 0; i < files.max_fds; i++)
			if (files.fd[i])
				host_close((int)i);
	files.fd = NULL;
	files.cloexec = NULL;
	files.max_fds = 0;
	files.open = 0;
	files.next_fd = FD_FIRST_INTERNAL;
	files.lock = (rwlock_t)RWLOCK_UNLOCKED;
}

/* Does @f hold a socket of @net? */
static bool file_in_net(struct file *f, struct net *net)
{
	struct socket *sock = sock_from_file(f);

	return sock && sock->sk && sock_net(sock->sk) == net;
}

/**
 * fd_close_net - close every fd whose socket belongs to @net
 *
 * Stack teardown. Calls in flight keep their sockets until they return.
 */
void fd_close_net(struct net *net)
{
	struct file **dead = NULL;
	unsigned int n = 0, cap = 0, i;
	enum sl_fd_mode mode;
	int *nums = NULL;

	write_lock(&files.lock);
	mode = files.mode;
	for (i = 0; i < files.max_fds; i++) {
		if (!files.fd[i] || !file_in_net(files.fd[i], net))
			continue;
		if (n == cap) {
			unsigned int c = cap ? cap * 2 : 16;
			struct file **d = realloc(dead, c * sizeof(*d));
			int *m = realloc(nums, c * sizeof(*m));

			if (d)
				dead = d;
			if (m)
				nums = m;
			if (!d || !m)
				break;
			cap = c;
		}
		nums[n] = (int)i;
		dead[n++] = fd_remove_locked((int)i);
	}
	rwlock_unlock(&files.lock);
	for (i = 0; i < n; i++) {
		if (mode == SL_FD_HOST)
			host_close(nums[i]);
		fput(dead[i]);
	}
	free(dead);
	free(nums);
}

/**
 * sock_map_fd - install @sock in the fd table
 * @flags: SOCK_NONBLOCK (O_NONBLOCK on the file), SOCK_CLOEXEC
 *
 * Returns the fd. On failure the socket is released (as Linux's
 * sock_map_fd) and -EMFILE/-ENFILE returned.
 */
int sock_map_fd(struct socket *sock, int flags)
{
	struct file *f;
	int fd;

	/* The file allocated with the socket (socket_alloc). */
	f = &SOCKET_ALLOC(sock)->file;
	init_file(f, &socket_file_ops, sock,
		  (flags & (SOCK_NONBLOCK | O_NONBLOCK)) ? O_NONBLOCK : 0);
	sock->file = f;
	fd = fd_install_new(f, flags & (SOCK_CLOEXEC | O_CLOEXEC));
	if (fd < 0) {
		/* Never installed, so ours alone: release the socket, which
		 * frees it with its file. */
		sock->file = NULL;
		sock_release(sock);
	}
	return fd;
}

/**
 * sockfd_lookup - the socket behind @fd, holding its file
 * @err: -EBADF (not an open fd) or -ENOTSOCK (an epoll fd) on failure
 *
 * Release with sockfd_put().
 */
struct socket *sockfd_lookup(int fd, int *err)
{
	struct file *f = fget(fd);
	struct socket *sock;

	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	sock = sock_from_file(f);
	if (!sock) {
		*err = -ENOTSOCK;
		fput(f);
		return NULL;
	}
	net_syscall_enter(sock->sk ? sock_net(sock->sk) : NULL);
	return sock;
}

/*
 * Drop the file reference sockfd_lookup took. The socket call is over:
 * frames it sent to threaded stacks are processed now (net_syscall_exit).
 */
void sockfd_put(struct socket *sock)
{
	fput(sock->file);
	net_syscall_exit();
}

/* FD_CLOEXEC of @fd (kept per slot, as Linux's close_on_exec bitmap). */
int fd_get_cloexec(int fd)
{
	int ret = -EBADF;

	read_lock(&files.lock);
	if (fd >= 0 && (unsigned int)fd < files.max_fds && files.fd[fd])
		ret = files.cloexec[fd];
	rwlock_unlock(&files.lock);
	return ret;
}

/* Set or clear FD_CLOEXEC of @fd; 0 or -EBADF. */
int fd_set_cloexec(int fd, bool on)
{
	int ret = -EBADF;

	write_lock(&files.lock);
	if (fd >= 0 && (unsigned int)fd < files.max_fds && files.fd[fd]) {
		files.cloexec[fd] = on;
		ret = 0;
	}
	rwlock_unlock(&files.lock);
	return ret;
}

/**
 * fd_set_mode - choose sockline's own fd numbers or host placeholders
 *
 * Takes effect only while no sockline fd is open (otherwise ignored; the
 * public sl_fd_host_mode reports EBUSY).
 */
void fd_set_mode(enum sl_fd_mode mode)
{
	write_lock(&files.lock);
	if (!files.open)
		files.mode = mode;
	rwlock_unlock(&files.lock);
}

/**
 * fd_host_mode - sl_fd_host_mode(): switch numbering while no fd is open
 *
 * Returns 0, or -EBUSY when sockline fds are open and the mode differs.
 */
int fd_host_mode(bool on)
{
	enum sl_fd_mode want = on ? SL_FD_HOST : SL_FD_INTERNAL;
	int err = 0;

	write_lock(&files.lock);
	if (files.mode != want) {
		if (files.open)
			err = -EBUSY;
		else
			files.mode = want;
	}
	if (!files.open)
		files.next_fd = FD_FIRST_INTERNAL;
	rwlock_unlock(&files.lock);
	return err;
}

/* F_SETFL (Linux's setfl): only O_NONBLOCK can change for a socket. */
static int do_setfl(struct file *f, long arg)
{
	unsigned int flags = READ_ONCE(f->f_flags);

	flags = (flags & ~(unsigned int)O_NONBLOCK) |
		((unsigned int)arg & O_NONBLOCK);
	WRITE_ONCE(f->f_flags, flags);
	return 0;
}

/**
 * do_fcntl - fcntl(2) on a sockline fd
 *
 * F_GETFL (O_RDWR | O_NONBLOCK), F_SETFL (only O_NONBLOCK changes),
 * F_GETFD/F_SETFD (FD_CLOEXEC); other commands -EINVAL.
 */
int do_fcntl(int fd, int cmd, long arg)
{
	struct file *f = fget(fd);
	int err;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_GETFL:
		err = (int)READ_ONCE(f->f_flags);
		break;
	case F_SETFL:
		err = do_setfl(f, arg);
		break;
	case F_GETFD:
		err = fd_get_cloexec(fd);
		if (err > 0)
			err = FD_CLOEXEC;
		break;
	case F_SETFD:
		err = fd_set_cloexec(fd, arg & FD_CLOEXEC);
		break;
	default:
		err = -EINVAL;
		break;
	}
	fput(f);
	return err;
}

/**
 * do_vfs_ioctl - ioctl(2) on a sockline fd
 *
 * FIONBIO is the VFS's (ioctl_fionbio); everything else goes to the file
 * (sock_ioctl -> inet_ioctl for sockets); -ENOTTY when nobody knows it.
 */
int do_vfs_ioctl(int fd, unsigned long request, void *argp)
{
	struct file *f = fget(fd);
	int err;

	if (!f)
		return -EBADF;
	if (request == FIONBIO) {
		err = -EFAULT;
		if (argp) {
			do_setfl(f, *(int *)argp ? O_NONBLOCK : 0);
			err = 0;
		}
	} else if (f->f_op->ioctl) {
		err = f->f_op->ioctl(f, (unsigned int)request,
				     (unsigned long)argp);
	} else {
		err = -ENOTTY;
	}
	fput(f);
	return err;
}
